package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/fn/providers"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// controllerVariant is one cluster setting and the functionConfig setting that matches it.
type controllerVariant struct {
	name    string
	version string
	// tls is the cluster's enableLLMInferenceServiceTLS, and so what the server must serve.
	tls bool
	// settings are added to every overlay's functionConfig spec; nil renders the overlays
	// as committed (testdata/e2e).
	settings map[string]string
}

var controllerVariants = []controllerVariant{
	{name: "v0.20.0/tls", version: "v0.20.0", tls: true},
	{name: "v0.20.0/plain-http", version: "v0.20.0", tls: false, settings: map[string]string{"tls": "false"}},
	// v0.16 always routes HTTPS to the workload (its Service's appProtocol is https).
	{name: "v0.16.0", version: "v0.16.0", tls: true, settings: map[string]string{"kserveVersion": "v0.16"}},
}

// TestKServeController applies every overlay and example to a cluster that runs KServe's
// real controller and checks what the controller makes of it: the Deployment's pod, the
// workload Service and the HTTPRoute. This is the truth the simulated merge
// (kserve_merge_test.go) approximates.
func TestKServeController(t *testing.T) {
	for _, v := range controllerVariants {
		t.Run(v.name, func(t *testing.T) {
			services := renderedForVariant(t, v)
			if v.settings == nil {
				addMutations(t, services)
			}
			c := startKServe(t, v.version, v.tls)
			applied := c.applyEach(t, services)
			for _, a := range applied {
				t.Run(a.source, func(t *testing.T) {
					// A mutation may keep the controller from making anything; the others are
					// made within seconds of being applied.
					wait := time.Minute
					if strings.HasPrefix(a.source, "mutated: ") {
						wait = 15 * time.Second
					}
					w, missing := c.waitForWorkload(t, a, wait)
					problems := workloadProblems(a, w, v, missing)
					if want, mutated := strings.CutPrefix(a.source, "mutated: "); mutated {
						// The harness must be able to fail: each broken fact is caught.
						require.NotEmpty(t, problems, "breaking %q went unnoticed", want)
						require.Contains(t, strings.Join(problems, "\n"), mutations[want].problem)
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

// mutations break one fact each in the gemini overlay's output; the controller suite must
// report each with the problem named here.
var mutations = map[string]struct{ from, to, problem string }{
	"model download on": {from: "  storageInitializer:\n    enabled: false\n", to: "", problem: `init container "storage-initializer"`},
	"probe over HTTP":   {from: "          scheme: HTTPS\n", to: "          scheme: HTTP\n", problem: "probe is HTTP :8000/v1/health, not HTTPS"},
	"container renamed": {from: "      name: main\n", to: "      name: llama-stack\n", problem: "exactly one container, main"},
	"other gateway":     {from: "        namespace: openshift-ingress\n", to: "        namespace: istio-system\n", problem: "made no httproutes"},
	"root user":         {from: "        runAsNonRoot: true\n", to: "        runAsNonRoot: false\n", problem: "Pod Security restricted"},
}

func addMutations(t *testing.T, services map[string][]*kyaml.RNode) {
	t.Helper()
	gemini := readFile(t, filepath.Join("..", "testdata", "e2e", "gemini.yaml"))
	// The same output written as v1alpha2, the storage version since v0.17, must hold every fact.
	require.Contains(t, gemini, "apiVersion: serving.kserve.io/v1alpha1\n")
	v1alpha2, err := kio.FromBytes([]byte(strings.Replace(gemini, "apiVersion: serving.kserve.io/v1alpha1\n", "apiVersion: serving.kserve.io/v1alpha2\n", 1)))
	require.NoError(t, err)
	services["gemini as v1alpha2"] = v1alpha2
	for name, m := range mutations {
		require.Contains(t, gemini, m.from, "the mutation %q must apply to testdata/e2e/gemini.yaml", name)
		objects, err := kio.FromBytes([]byte(strings.Replace(gemini, m.from, m.to, 1)))
		require.NoError(t, err)
		services["mutated: "+name] = objects
	}
}

// appliedService is one rendered LLMInferenceService, applied in a namespace of its own so
// that overlays meant as alternatives do not meet.
type appliedService struct {
	source, name, namespace string
	svc                     llmisvc
}

// workload is what KServe's controller made of one LLMInferenceService.
type workload struct {
	deployment appsv1.Deployment
	service    corev1.Service
	route      httpRoute
	status     struct {
		Conditions []metav1.Condition `json:"conditions"`
	}
	warnings []string
}

type httpRoute struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		ParentRefs []struct{ Name, Namespace string } `json:"parentRefs"`
		Rules      []struct {
			Matches []struct {
				Path struct{ Type, Value string } `json:"path"`
			} `json:"matches"`
			BackendRefs []struct {
				Kind, Name string
				Port       int32 `json:"port"`
			} `json:"backendRefs"`
		} `json:"rules"`
	} `json:"spec"`
}

func (c *kserveCluster) applyEach(t *testing.T, services map[string][]*kyaml.RNode) []appliedService {
	t.Helper()
	sources := make([]string, 0, len(services))
	for s := range services {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	var applied []appliedService
	for i, source := range sources {
		ns := fmt.Sprintf("case-%02d", i)
		c.createNamespace(t, ns)
		var docs []string
		for _, obj := range services[source] {
			if strings.HasPrefix(obj.GetApiVersion(), "maas.opendatahub.io/") {
				continue // MaaS's CRDs are not part of this cluster
			}
			require.NoError(t, obj.SetNamespace(ns))
			docs = append(docs, obj.MustString())
			if obj.GetKind() == "LLMInferenceService" {
				var svc llmisvc
				require.NoError(t, yaml.Unmarshal([]byte(obj.MustString()), &svc))
				applied = append(applied, appliedService{source: source, name: obj.GetName(), namespace: ns, svc: svc})
			}
		}
		docs = append(docs, serviceAccounts(t, services[source])...) // identity_test.go
		c.mustKubectl(t, strings.Join(docs, "---\n"), "apply", "--server-side", "--field-manager", "conformance", "-f", "-")
	}
	require.NotEmpty(t, applied)
	return applied
}

// waitForWorkload waits until the controller has made the Deployment, workload Service and
// HTTPRoute of a, and returns them with a's status and Warning events; what it has not made
// within wait is named in missing.
func (c *kserveCluster) waitForWorkload(t *testing.T, a appliedService, wait time.Duration) (w workload, missing []string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		missing = nil
		for resource, into := range map[string]any{"deployments": &w.deployment, "services": &w.service, "httproutes.gateway.networking.k8s.io": &w.route} {
			if !c.ownedBy(t, a, resource, into) {
				missing = append(missing, resource)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	var svc struct {
		Status struct {
			Conditions []metav1.Condition `json:"conditions"`
		} `json:"status"`
	}
	c.getJSON(t, &svc, "llminferenceservices", "-n", a.namespace, a.name)
	w.status.Conditions = svc.Status.Conditions
	var events struct {
		Items []corev1.Event `json:"items"`
	}
	c.getJSON(t, &events, "events", "-n", a.namespace)
	for _, e := range events.Items {
		// The API server's own repair loops (no kube-controller-manager runs) are not KServe's.
		fromKServe := e.InvolvedObject.Kind == "LLMInferenceService" || strings.HasPrefix(e.Source.Component, "LLMInferenceService")
		if e.Type == corev1.EventTypeWarning && fromKServe {
			w.warnings = append(w.warnings, fmt.Sprintf("%s %s: %s: %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message))
		}
	}
	sort.Strings(missing)
	return w, missing
}

// ownedBy reads into v the one object of resource in a's namespace that a owns as its main
// workload (the router's scheduler, if any, is not asked for), and reports whether there is one.
func (c *kserveCluster) ownedBy(t *testing.T, a appliedService, resource string, v any) bool {
	t.Helper()
	var list struct {
		Items []listedObject `json:"items"`
	}
	c.getJSON(t, &list, resource, "-n", a.namespace)
	for _, item := range list.Items {
		for _, o := range item.Metadata.OwnerReferences {
			if o.Kind == "LLMInferenceService" && o.Name == a.name && isMainWorkload(resource, item) {
				c.getJSON(t, v, resource, "-n", a.namespace, item.Metadata.Name)
				return true
			}
		}
	}
	return false
}

type listedObject struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Ports []corev1.ServicePort `json:"ports"`
	} `json:"spec"`
}

// isMainWorkload tells the workload Service (port 8000) from the others KServe may make.
func isMainWorkload(resource string, item listedObject) bool {
	if resource != "services" {
		return true
	}
	for _, p := range item.Spec.Ports {
		if p.Port == 8000 {
			return true
		}
	}
	return false
}

// workloadProblems checks every fact of the issue on what the controller made.
func workloadProblems(a appliedService, w workload, v controllerVariant, missing []string) []string {
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("KServe %s made no %s for it", v.version, strings.Join(missing, ", ")))
		for _, cond := range w.status.Conditions {
			problems = append(problems, fmt.Sprintf("condition %s is %s: %s: %s", cond.Type, cond.Status, cond.Reason, cond.Message))
		}
		return append(problems, w.warnings...)
	}
	fact := func(ok bool, format string, args ...any) {
		if !ok {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	scheme, protocol := corev1.URISchemeHTTP, "http"
	if v.tls {
		scheme, protocol = corev1.URISchemeHTTPS, "https"
	}
	pod := w.deployment.Spec.Template.Spec

	// Exactly one container, main, running our image, command and args: no vLLM start-up.
	var rendered corev1.PodSpec
	if err := json.Unmarshal(a.svc.Spec.Template, &rendered); err != nil {
		return []string{"the rendered spec.template cannot be read: " + err.Error()}
	}
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "main" || len(rendered.Containers) != 1 {
		return append(problems, fmt.Sprintf("the pod must have exactly one container, main; got %d containers", len(pod.Containers)))
	}
	main, want := pod.Containers[0], rendered.Containers[0]
	fact(main.Image == want.Image, "main runs image %q, not the rendered %q", main.Image, want.Image)
	fact(strings.Join(main.Command, "\x00") == strings.Join(want.Command, "\x00"), "main's command is %q, not the rendered %q", main.Command, want.Command)
	fact(strings.Join(main.Args, "\x00") == strings.Join(want.Args, "\x00"), "main's args differ from the rendered ones")
	fact(!strings.Contains(strings.Join(append(main.Command, main.Args...), " "), "vllm"), "main runs a vLLM start-up")

	// Every probe an httpGet on /v1/health:8000, with the scheme the server serves.
	for name, p := range map[string]*corev1.Probe{"startup": main.StartupProbe, "liveness": main.LivenessProbe, "readiness": main.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.Exec != nil || p.TCPSocket != nil || p.GRPC != nil {
			fact(false, "the %s probe must be exactly one httpGet", name)
			continue
		}
		fact(p.HTTPGet.Path == "/v1/health" && p.HTTPGet.Port.IntValue() == 8000 && p.HTTPGet.Scheme == scheme,
			"the %s probe is %s :%s%s, not %s :8000/v1/health", name, p.HTTPGet.Scheme, p.HTTPGet.Port.String(), p.HTTPGet.Path, scheme)
	}

	// No init container downloading anything, and Pod Security "restricted" on the whole pod.
	for _, ic := range pod.InitContainers {
		fact(false, "the pod has init container %q (%v)", ic.Name, ic.Args)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		return append(problems, err.Error())
	}
	for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, &w.deployment.Spec.Template.ObjectMeta, &pod) {
		fact(r.Allowed, "Pod Security restricted: %s: %s", r.ForbiddenReason, r.ForbiddenDetail)
	}

	// The certificate where the server reads it, and nothing over the system CA store.
	// KServe v0.16's preset mounts its certificate volume at /etc/ssl/certs itself, and a
	// spec.template cannot remove a preset's mount: there the start-up falls back to the
	// CA bundle Python ships (see StartupScript), and this fact is not asserted.
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range main.VolumeMounts {
		mounts[m.MountPath] = m
	}
	if v.version != "v0.16.0" {
		_, hidden := mounts["/etc/ssl/certs"]
		fact(!hidden, "a volume is mounted over the system CA store /etc/ssl/certs")
	}
	if v.tls {
		m, ok := mounts["/var/run/kserve/tls"]
		secret := ""
		for _, vol := range pod.Volumes {
			if vol.Name == m.Name && vol.Secret != nil {
				secret = vol.Secret.SecretName
			}
		}
		fact(ok && secret == a.name+"-kserve-self-signed-certs", "the controller's TLS Secret is not mounted at /var/run/kserve/tls (volume %q, Secret %q)", m.Name, secret)
	}

	// Service and route backends on 8000 with the protocol the server speaks.
	var port *corev1.ServicePort
	for i, p := range w.service.Spec.Ports {
		if p.Port == 8000 {
			port = &w.service.Spec.Ports[i]
		}
	}
	if port == nil {
		fact(false, "the workload Service %s has no port 8000", w.service.Name)
	} else {
		fact(port.TargetPort.IntValue() == 8000, "the workload Service targets port %s, not 8000", port.TargetPort.String())
		fact(port.AppProtocol != nil && *port.AppProtocol == protocol, "the workload Service's appProtocol is %q, but the server speaks %s", ptrValue(port.AppProtocol), protocol)
	}

	// The route: our gateway, the path /<namespace>/<name>, backends on 8000.
	var parents []string
	for _, p := range w.route.Spec.ParentRefs {
		parents = append(parents, p.Namespace+"/"+p.Name)
	}
	fact(strings.Join(parents, ",") == maasGateway.namespace+"/"+maasGateway.name, "the HTTPRoute's parents are %v, not %s/%s", parents, maasGateway.namespace, maasGateway.name)
	for _, r := range a.svc.Spec.Router.Gateway.Refs {
		fact(r.Namespace+"/"+r.Name == maasGateway.namespace+"/"+maasGateway.name, "the rendered gateway ref %s/%s is not the HTTPRoute's parent", r.Namespace, r.Name)
	}
	path := "/" + a.namespace + "/" + a.name
	pathFound := false
	for _, rule := range w.route.Spec.Rules {
		for _, m := range rule.Matches {
			pathFound = pathFound || strings.HasPrefix(m.Path.Value, path)
		}
		for _, b := range rule.BackendRefs {
			fact(b.Port == 8000 || b.Port == 0 && b.Kind == "InferencePool", "an HTTPRoute backend %s %s is on port %d, not 8000", b.Kind, b.Name, b.Port)
		}
	}
	fact(pathFound, "no HTTPRoute rule matches the path %s", path)

	// No error condition and no Warning event.
	for _, cond := range w.status.Conditions {
		fact(!strings.Contains(cond.Reason, "Error") && !strings.Contains(cond.Reason, "Invalid") && !strings.Contains(cond.Reason, "Failed"),
			"condition %s is %s: %s: %s", cond.Type, cond.Status, cond.Reason, cond.Message)
	}
	for _, warning := range w.warnings {
		fact(false, "Warning event: %s", warning)
	}
	return problems
}

// renderedForVariant returns the objects of every overlay and example, by source: the
// committed renders (testdata/e2e) for the default variant, else each overlay rendered by
// kustomize with v.settings added to its functionConfig.
func renderedForVariant(t *testing.T, v controllerVariant) map[string][]*kyaml.RNode {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	out := map[string][]*kyaml.RNode{}
	if v.settings == nil {
		files, err := filepath.Glob(filepath.Join(root, "testdata", "e2e", "*.yaml"))
		require.NoError(t, err)
		for _, f := range files {
			objects, err := kio.FromBytes([]byte(readFile(t, f)))
			require.NoError(t, err)
			if hasService(objects) {
				out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = objects
			}
		}
		requireEveryProvider(t, slices.Collect(maps.Keys(out)))
		return out
	}

	// A copy of the overlays and examples beside the real bin/, so that their relative exec
	// paths still reach the function.
	tree := t.TempDir()
	for _, dir := range []string{"deploy", "examples"} {
		require.NoError(t, exec.Command("cp", "-r", filepath.Join(root, dir), tree).Run())
	}
	require.NoError(t, os.Symlink(filepath.Join(root, "bin"), filepath.Join(tree, "bin")))
	configs, err := filepath.Glob(filepath.Join(tree, "*", "*", "*", "llamastack-integration.yaml"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(tree, "examples", "*", "llamastack-integration.yaml"))
	require.NoError(t, err)
	for _, cfg := range append(configs, more...) {
		dir := filepath.Dir(cfg)
		if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); err != nil {
			continue // the kpt package
		}
		fc, err := kyaml.ReadFile(cfg)
		require.NoError(t, err)
		for key, value := range v.settings {
			node, err := kyaml.Parse(value)
			require.NoError(t, err)
			require.NoError(t, fc.PipeE(kyaml.LookupCreate(kyaml.MappingNode, "spec"), kyaml.SetField(key, node)))
		}
		require.NoError(t, kyaml.WriteFile(fc, cfg))
		cmd := exec.Command(filepath.Join(root, "bin", "kustomize"), "build", "--enable-alpha-plugins", "--enable-exec", dir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		rendered, err := cmd.Output()
		require.NoError(t, err, "kustomize build %s with %v: %s", dir, v.settings, stderr.String())
		objects, err := kio.FromBytes(rendered)
		require.NoError(t, err)
		rel, _ := filepath.Rel(tree, dir)
		out[strings.ReplaceAll(rel, string(filepath.Separator), "-")] = objects
	}
	requireEveryProvider(t, slices.Collect(maps.Keys(out)))
	return out
}

// requireEveryProvider checks that renders, named like testdata/e2e's files, include each
// provider of the registry (its deploy overlay or its example).
func requireEveryProvider(t *testing.T, renders []string) {
	t.Helper()
	for _, p := range providers.Names() {
		require.True(t, slices.ContainsFunc([]string{p, "deploy-overlays-" + p, "examples-providers-" + p}, func(name string) bool { return slices.Contains(renders, name) }),
			"no render of provider %s among %v", p, renders)
	}
}

func hasService(objects []*kyaml.RNode) bool {
	for _, o := range objects {
		if o.GetKind() == "LLMInferenceService" {
			return true
		}
	}
	return false
}

func ptrValue(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}
