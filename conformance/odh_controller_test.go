package conformance

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// odhAuthAnnotation is how a service tells ODH's controller whether KServe protects its route:
// any value but "false" (or none) makes the controller require Kuadrant's AuthPolicy CRD.
const odhAuthAnnotation = "security.opendatahub.io/enable-auth"

// odhScrape is where ODH's PodMonitors scrape every workload pod (scheme, container port,
// path; Prometheus's default path is /metrics).
var odhScrape = struct {
	scheme string
	port   int
	path   string
}{"https", 8000, "/metrics"}

// odhEnvironment is one ODH cluster and what the suite applies to it. want names, by source,
// the problem the suite must report; every other source must hold every fact.
type odhEnvironment struct {
	name     string
	without  []string
	services func(t *testing.T) map[string][]*kyaml.RNode
	want     map[string]string
}

var odhVariant = controllerVariant{name: odhFork.version, version: odhFork.version, tls: true}

var odhEnvironments = []odhEnvironment{
	{
		// ODH as it runs: Kuadrant installed. Every overlay and example as committed, and
		// gemini with each value of the auth annotation. (The upstream mutations are caught
		// by the same workloadProblems on v0.20.)
		name: odhFork.version,
		services: func(t *testing.T) map[string][]*kyaml.RNode {
			services := renderedForVariant(t, odhVariant)
			addAuthValues(t, services, "true", "false")
			return services
		},
	},
	{
		// The mutation: a cluster without Kuadrant's AuthPolicy CRD. ODH's controller deletes
		// the route (GatewayPreconditionNotMet) unless the service says enable-auth "false".
		name:    "mutated: no Kuadrant AuthPolicy CRD",
		without: []string{authPolicyCRD},
		services: func(t *testing.T) map[string][]*kyaml.RNode {
			services := map[string][]*kyaml.RNode{}
			addAuthValues(t, services, "", "true", "false")
			return services
		},
		want: map[string]string{
			authSource(""):     "GatewayPreconditionNotMet",
			authSource("true"): "GatewayPreconditionNotMet",
		},
	},
}

// TestODHController runs ODH's fork of KServe's controller (odh-v3.5, built with -tags distro)
// on every overlay and example, and checks the upstream facts and ODH's own: the workload
// certificate signed by the service-ca key, the DestinationRule that verifies it, the route
// kept, no Warning event; it records where ODH's PodMonitors scrape.
func TestODHController(t *testing.T) {
	for _, env := range odhEnvironments {
		t.Run(env.name, func(t *testing.T) {
			services := env.services(t)
			c := startODH(t, env.without...)
			for _, a := range c.applyEach(t, services) {
				t.Run(a.source, func(t *testing.T) {
					want := env.want[a.source]
					wait := time.Minute
					if want != "" {
						wait = 15 * time.Second
					}
					w, missing := c.waitForWorkload(t, a, wait)
					problems := workloadProblems(a, w, odhVariant, missing)
					if len(missing) == 0 {
						problems = append(problems, c.odhProblems(t, a, w)...)
					}
					if want != "" {
						// The harness must be able to fail: each broken fact is caught.
						require.NotEmpty(t, problems, "%s went unnoticed", a.source)
						require.Contains(t, strings.Join(problems, "\n"), want)
						return
					}
					for _, problem := range problems {
						t.Error(problem)
					}
				})
			}
		})
	}
}

func authSource(value string) string {
	if value == "" {
		return "gemini without " + odhAuthAnnotation
	}
	return fmt.Sprintf("gemini with %s %q", odhAuthAnnotation, value)
}

// addAuthValues adds the committed gemini output once per value of the auth annotation
// ("" leaves it unset).
func addAuthValues(t *testing.T, services map[string][]*kyaml.RNode, values ...string) {
	t.Helper()
	gemini := readFile(t, "../testdata/e2e/gemini.yaml")
	for _, value := range values {
		docs, err := kio.FromBytes([]byte(gemini))
		require.NoError(t, err)
		for _, o := range docs {
			if o.GetKind() == "LLMInferenceService" && value != "" {
				require.NoError(t, o.PipeE(kyaml.SetAnnotation(odhAuthAnnotation, value)))
			}
		}
		services[authSource(value)] = docs
	}
}

// odhProblems checks ODH's own facts on what its controller made of a.
func (c *odhCluster) odhProblems(t *testing.T, a appliedService, w workload) []string {
	t.Helper()
	svcName := a.name + "-kserve-workload-svc"
	sni := svcName + "." + a.namespace + ".svc.cluster.local"
	var problems []string
	if w.service.Name != svcName {
		problems = append(problems, fmt.Sprintf("the workload Service is %s, not %s", w.service.Name, svcName))
	}
	var secret corev1.Secret
	if !c.waitForObject(t, &secret, "secrets", a.namespace, a.name+"-kserve-self-signed-certs") {
		problems = append(problems, "ODH made no Secret "+a.name+"-kserve-self-signed-certs")
	} else {
		problems = append(problems, certificateProblems(secret, c.ca, sni)...)
	}
	var dr destinationRule
	if !c.waitForObject(t, &dr, "destinationrules.networking.istio.io", a.namespace, svcName) {
		problems = append(problems, "ODH made no DestinationRule "+svcName)
	} else {
		problems = append(problems, dr.problems(sni)...)
	}
	problems = append(problems, c.podMonitorProblems(t, a, w)...)

	// The route survives: it is still there once everything else is made.
	if _, err := c.kubectl(t, "", "get", "httproutes.gateway.networking.k8s.io", "-n", a.namespace, w.route.Metadata.Name); err != nil {
		problems = append(problems, "ODH deleted the HTTPRoute "+w.route.Metadata.Name)
	}
	return problems
}

// waitForObject reads ns/name of resource into v, waiting up to 30 s for it to appear.
func (c *odhCluster) waitForObject(t *testing.T, v any, resource, ns, name string) bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if out, err := c.kubectl(t, "", "get", resource, "-n", ns, name, "-o", "json"); err == nil {
			require.NoError(t, json.NewDecoder(strings.NewReader(out)).Decode(v))
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Second)
	}
}

// certificateProblems checks that the workload's certificate and key pair up and that the
// certificate verifies against the service-ca for the name the DestinationRule sends as SNI.
func certificateProblems(secret corev1.Secret, ca *x509.Certificate, sni string) []string {
	crt, key := secret.Data["tls.crt"], secret.Data["tls.key"]
	if _, err := tls.X509KeyPair(crt, key); err != nil {
		return []string{fmt.Sprintf("Secret %s: tls.crt and tls.key are no pair: %v", secret.Name, err)}
	}
	block, _ := pem.Decode(crt)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return []string{fmt.Sprintf("Secret %s: tls.crt: %v", secret.Name, err)}
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: sni, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return []string{fmt.Sprintf("the workload certificate (Secret %s) does not verify against the service-ca for %s: %v", secret.Name, sni, err)}
	}
	return nil
}

// destinationRule is the part of Istio's DestinationRule the checks read.
type destinationRule struct {
	Spec struct {
		Host          string `json:"host"`
		TrafficPolicy struct {
			TLS struct {
				Mode               string `json:"mode"`
				SNI                string `json:"sni"`
				CACertificates     string `json:"caCertificates"`
				InsecureSkipVerify *bool  `json:"insecureSkipVerify"`
			} `json:"tls"`
		} `json:"trafficPolicy"`
	} `json:"spec"`
}

// problems checks that the gateway originates TLS to the workload and verifies it for sni.
func (dr destinationRule) problems(sni string) []string {
	tls := dr.Spec.TrafficPolicy.TLS
	var problems []string
	if dr.Spec.Host != sni || tls.Mode != "SIMPLE" || tls.SNI != sni {
		problems = append(problems, fmt.Sprintf("the DestinationRule is host %q, TLS %q, SNI %q; want %s, SIMPLE, %s", dr.Spec.Host, tls.Mode, tls.SNI, sni, sni))
	}
	if tls.CACertificates == "" || tls.InsecureSkipVerify != nil && *tls.InsecureSkipVerify {
		problems = append(problems, fmt.Sprintf("the DestinationRule does not verify the workload (caCertificates %q, insecureSkipVerify %v)", tls.CACertificates, tls.InsecureSkipVerify != nil && *tls.InsecureSkipVerify))
	}
	return problems
}

// podMonitor is the part of Prometheus Operator's PodMonitor the checks read.
type podMonitor struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port       string              `json:"port"`
			TargetPort *intstr.IntOrString `json:"targetPort"`
			Scheme     string              `json:"scheme"`
			Path       string              `json:"path"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// podMonitorProblems checks that ODH's PodMonitors select the workload's pod and scrape it
// where odhScrape says, and logs what they scrape.
func (c *odhCluster) podMonitorProblems(t *testing.T, a appliedService, w workload) []string {
	t.Helper()
	var list struct {
		Items []podMonitor `json:"items"`
	}
	c.getJSON(t, &list, "podmonitors.monitoring.coreos.com", "-n", a.namespace)
	pod := labels.Set(w.deployment.Spec.Template.Labels)
	var problems, seen []string
	for _, m := range list.Items {
		selector, err := metav1.LabelSelectorAsSelector(&m.Spec.Selector)
		if err != nil || !selector.Matches(pod) {
			continue
		}
		for _, e := range m.Spec.Endpoints {
			path := e.Path
			if path == "" {
				path = "/metrics"
			}
			port := e.Port
			if e.TargetPort != nil {
				port = e.TargetPort.String()
			}
			endpoint := fmt.Sprintf("%s :%s%s", e.Scheme, port, path)
			seen = append(seen, m.Metadata.Name+" "+endpoint)
			if want := fmt.Sprintf("%s :%d%s", odhScrape.scheme, odhScrape.port, odhScrape.path); endpoint != want {
				problems = append(problems, fmt.Sprintf("ODH's PodMonitor %s scrapes the pod at %s, not %s", m.Metadata.Name, endpoint, want))
			}
		}
	}
	if len(seen) == 0 {
		problems = append(problems, fmt.Sprintf("no PodMonitor of ODH selects the workload's pod (labels %v)", pod))
	}
	t.Logf("ODH's PodMonitors on the pod: %s", strings.Join(seen, "; "))
	return problems
}
