// Package conformance checks rendered manifests the way a cluster would: a real
// kube-apiserver with KServe's CRDs (server-side dry-run), KServe's merge of spec.template
// onto its vLLM preset followed by the Go-template rendering of the result, and Pod Security
// "restricted" on the effective pod. KServe's CRDs and presets come from the
// github.com/kserve/kserve module itself, at the versions we support.
package conformance

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// kserveVersions are the first release with LLMInferenceService and the newest we support.
var kserveVersions = []string{"v0.16.0", "v0.20.0"}

// kserveDir returns the folder of the github.com/kserve/kserve module at version, fetched
// through the Go module proxy. Without it the test fails: it must not pass silently.
func kserveDir(t *testing.T, version string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/kserve/kserve@"+version).Output()
	require.NoError(t, err, "cannot fetch github.com/kserve/kserve@%s from the Go module proxy (is it reachable?): %s", version, out)
	var mod struct{ Dir, Error string }
	require.NoError(t, json.Unmarshal(out, &mod))
	require.Empty(t, mod.Error)
	return mod.Dir
}

// llmisvc is the part of an LLMInferenceService the checks read.
type llmisvc struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Model struct {
			Name string `json:"name"`
			URI  string `json:"uri"`
		} `json:"model"`
		Router struct {
			Route   *json.RawMessage `json:"route"`
			Gateway struct {
				Refs []struct{ Name, Namespace string } `json:"refs"`
			} `json:"gateway"`
		} `json:"router"`
		Template json.RawMessage `json:"template"`
	} `json:"spec"`
}

// effectivePod does what KServe's controller does with the main workload: a strategic merge
// of the service's spec.template onto the preset's (lists by name, command/args replaced
// whole), then the whole result rendered as a Go template.
func effectivePod(presetTemplate json.RawMessage, svc llmisvc) (corev1.PodSpec, error) {
	var pod corev1.PodSpec
	merged, err := strategicpatch.StrategicMergePatch(presetTemplate, svc.Spec.Template, corev1.PodSpec{})
	if err != nil {
		return pod, fmt.Errorf("strategic merge: %w", err)
	}
	// The template data KServe passes, reduced to what the presets read.
	data := map[string]any{
		"ObjectMeta": map[string]any{"Name": svc.Metadata.Name, "Namespace": svc.Metadata.Namespace},
		"Spec": map[string]any{
			"Model":             map[string]any{"Name": svc.Spec.Model.Name},
			"Parallelism":       nil,
			"Template":          nil,
			"KVCacheOffloading": nil,
		},
		"GlobalConfig": map[string]any{"EnableTLS": true},
	}
	tmpl, err := template.New("config").Funcs(map[string]any{
		"ChildName":        func(parent, suffix string) string { return parent + suffix },
		"kvTransferConfig": func(any) string { return "" },
		"shutdownTimeout":  func(any, int64) int64 { return 15 },
	}).Option("missingkey=error").Parse(string(merged))
	if err != nil {
		return pod, err
	}
	var rendered bytes.Buffer
	if err := tmpl.Execute(&rendered, data); err != nil {
		return pod, err
	}
	return pod, json.Unmarshal(rendered.Bytes(), &pod)
}

var uriWithScheme = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://.+`)

// violations checks a rendered LLMInferenceService against every KServe fact, on the pod
// KServe would build from presetTemplate. Each violation starts with the fact's name.
func violations(presetTemplate json.RawMessage, svc llmisvc) []string {
	var v []string
	fact := func(ok bool, name, format string, args ...any) {
		if !ok {
			v = append(v, name+": "+fmt.Sprintf(format, args...))
		}
	}
	fact(uriWithScheme.MatchString(svc.Spec.Model.URI), "model uri", "spec.model.uri %q must be set with a scheme", svc.Spec.Model.URI)
	fact(svc.Spec.Router.Route != nil, "route", "spec.router.route must be set ({} at least) or KServe creates no HTTPRoute")
	fact(len(svc.Spec.Router.Gateway.Refs) > 0, "gateway namespace", "spec.router.gateway.refs is empty")
	for _, r := range svc.Spec.Router.Gateway.Refs {
		fact(r.Namespace != "", "gateway namespace", "gateway ref %q has no namespace", r.Name)
	}

	pod, err := effectivePod(presetTemplate, svc)
	if err != nil {
		return append(v, "template renders: "+err.Error())
	}
	var names []string
	for _, c := range pod.Containers {
		names = append(names, c.Name)
	}
	if fact(len(pod.Containers) == 1 && names[0] == "main", "container name", "the pod must have exactly one container, main; got %v", names); len(v) > 0 && strings.HasPrefix(v[len(v)-1], "container name") {
		return v
	}
	main := pod.Containers[0]
	startup := strings.Join(append(append([]string{}, main.Command...), main.Args...), " ")
	fact(len(main.Command) > 0 && !strings.Contains(startup, "vllm"), "command", "main runs the preset's vLLM start-up: %.80q", startup)
	fact(strings.Contains(startup, "/etc/llamastack-integration/launch.py"), "command", "main does not run the function's start-up of Llama Stack")

	for name, p := range map[string]*corev1.Probe{"liveness": main.LivenessProbe, "readiness": main.ReadinessProbe, "startup": main.StartupProbe} {
		if p == nil {
			fact(false, "probe handler", "the %s probe is missing (the preset's /health probe would not be replaced)", name)
			continue
		}
		h := p.ProbeHandler
		fact(h.Exec == nil && h.TCPSocket == nil && h.GRPC == nil && h.HTTPGet != nil, "probe handler", "the %s probe must have exactly one handler, httpGet", name)
		if h.HTTPGet != nil {
			fact(h.HTTPGet.Path == "/v1/health", "probe handler", "the %s probe path is %q, not Llama Stack's /v1/health", name, h.HTTPGet.Path)
			fact(h.HTTPGet.Port.IntValue() == 8000, "port", "the %s probe port is %s, not 8000", name, h.HTTPGet.Port.String())
			fact(h.HTTPGet.Scheme == corev1.URISchemeHTTPS, "probe handler", "the %s probe scheme is %q; Llama Stack serves HTTPS", name, h.HTTPGet.Scheme)
		}
	}
	ports := map[int32]bool{}
	for _, p := range main.Ports {
		ports[p.ContainerPort] = true
	}
	fact(ports[8000] && len(ports) == 1, "port", "main's ports are %v; the server listens on 8000 only", main.Ports)
	env := map[string]corev1.EnvVar{}
	for _, e := range main.Env {
		env[e.Name] = e
	}
	port := cmp.Or(env["OGX_PORT"].Value, env["LLAMA_STACK_PORT"].Value)
	fact(port == "8000", "port", "the server's port variable (OGX_PORT, or LLAMA_STACK_PORT on Llama Stack 0.3) is %q, not 8000", port)
	credentials := credentialFacts(env, fact)
	_, ollama := env["OLLAMA_URL"]
	fact(credentials > 0 || ollama, "api key", "main reads no provider credentials")

	fact(tlsMounted(main, pod), "tls", "the tls-certs volume must be mounted at /var/run/kserve/tls")

	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		return append(v, "pod security: "+err.Error())
	}
	for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, &metav1.ObjectMeta{Name: svc.Metadata.Name}, &pod) {
		fact(r.Allowed, "pod security restricted", "%s: %s", r.ForbiddenReason, r.ForbiddenDetail)
	}
	return v
}

// tlsMounted says main mounts KServe's tls-certs volume at the certificate's path.
func tlsMounted(main corev1.Container, pod corev1.PodSpec) bool {
	mounted := false
	for _, m := range main.VolumeMounts {
		mounted = mounted || (m.MountPath == "/var/run/kserve/tls" && m.Name == "tls-certs")
	}
	volume := false
	for _, vol := range pod.Volumes {
		volume = volume || vol.Name == "tls-certs"
	}
	return mounted && volume
}

// credentialFacts checks how main reads each provider credential (a secretKeyRef, the
// mounted credentials file, or a file of the mounted Secret that <VAR>_FILE names, which the
// ODH OGX image's entrypoint reads) and counts them.
func credentialFacts(env map[string]corev1.EnvVar, fact func(ok bool, name, format string, args ...any)) int {
	credentials := 0
	for name, e := range env {
		if _, isCredential := providers.BySecretEnv(name); isCredential && name != "GOOGLE_APPLICATION_CREDENTIALS" {
			credentials++
			fact(e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.Value == "", "api key", "%s must come from a secretKeyRef, never a literal", name)
		}
		if base, isFile := strings.CutSuffix(name, "_FILE"); isFile {
			if _, isCredential := providers.BySecretEnv(base); isCredential {
				credentials++
				fact(strings.HasPrefix(e.Value, "/var/run/secrets/llamastack/"), "api key", "%s must point at a file of the mounted Secret", name)
				_, both := env[base]
				fact(!both, "api key", "%s and %s are both set; the entrypoint refuses that", base, name)
			}
		}
	}
	if creds, ok := env["GOOGLE_APPLICATION_CREDENTIALS"]; ok {
		credentials++
		fact(strings.HasPrefix(creds.Value, "/var/run/secrets/llamastack/"), "api key", "GOOGLE_APPLICATION_CREDENTIALS must point at the mounted credentials file")
	}
	return credentials + identityCredentials(env, fact) // identity_test.go
}

func presetTemplate(t *testing.T, version string) json.RawMessage {
	t.Helper()
	var preset struct {
		Spec struct {
			Template json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	readYAML(t, filepath.Join(kserveDir(t, version), "config", "llmisvcconfig", "config-llm-template.yaml"), &preset)
	require.NotEmpty(t, preset.Spec.Template)
	return preset.Spec.Template
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, into))
}

// renderedOverlay returns the LLMInferenceService of a rendered overlay, as rendered.
func renderedOverlay(t *testing.T, name string) string {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(readFile(t, filepath.Join("..", "testdata", "e2e", name+".yaml"))))
	require.NoError(t, err)
	for _, n := range nodes {
		if n.GetKind() == "LLMInferenceService" {
			return n.MustString()
		}
	}
	t.Fatalf("%s renders no LLMInferenceService", name)
	return ""
}

// renderedServices returns every LLMInferenceService the e2e goldens pin, by golden name.
func renderedServices(t *testing.T) map[string]llmisvc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "e2e", "*.yaml"))
	require.NoError(t, err)
	services := map[string]llmisvc{}
	for _, f := range files {
		nodes, err := kio.FromBytes([]byte(readFile(t, f)))
		require.NoError(t, err)
		for _, n := range nodes {
			if n.GetKind() != "LLMInferenceService" {
				continue
			}
			var svc llmisvc
			require.NoError(t, yaml.Unmarshal([]byte(n.MustString()), &svc))
			services[strings.TrimSuffix(filepath.Base(f), ".yaml")] = svc
		}
	}
	requireEveryProvider(t, slices.Collect(maps.Keys(services)))
	return services
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestEffectivePodRunsLlamaStack checks every rendered LLMInferenceService (each overlay and
// example) against each KServe preset: the pod KServe would create must run our server, not
// vLLM, and meet Pod Security "restricted".
func TestEffectivePodRunsLlamaStack(t *testing.T) {
	services := renderedServices(t)
	for _, version := range kserveVersions {
		preset := presetTemplate(t, version)
		for name, svc := range services {
			t.Run(version+"/"+name, func(t *testing.T) {
				require.Empty(t, violations(preset, svc))
			})
		}
	}
}

// TestBrokenFactsAreCaught breaks one KServe fact at a time in a rendered overlay and
// checks that the conformance checks fail and name the fact.
func TestBrokenFactsAreCaught(t *testing.T) {
	for _, m := range []struct {
		fact, from, to string
		// onlyOn limits a mutation to the KServe versions where it breaks the fact.
		onlyOn []string
	}{
		{fact: "container name", from: "      name: main\n", to: "      name: llama-stack\n"},
		{fact: "command", from: "      command:\n      - /bin/sh\n      - -c\n", to: ""},
		{fact: "probe handler", from: "      livenessProbe:\n", to: "      livenessProbe:\n        exec: {command: [\"true\"]}\n"},
		{fact: "probe handler", from: "          path: /v1/health\n", to: "          path: /health\n"},
		{fact: "probe handler", from: "          scheme: HTTPS\n", to: "          scheme: HTTP\n"},
		{fact: "port", from: "      - containerPort: 8000\n", to: "      - containerPort: 8321\n"},
		{fact: "port", from: "        value: \"8000\"\n", to: "        value: \"8321\"\n"},
		{fact: "route", from: "    route: {}\n", to: ""},
		{fact: "gateway namespace", from: "        namespace: openshift-ingress\n", to: ""},
		{fact: "model uri", from: "    uri: hf://llamastack-integration/no-weights\n", to: "    uri: llamastack-integration/no-weights\n"},
		{fact: "template renders", from: "        exec python3 ", to: "        exec {{ .Oops }} python3 "},
		{fact: "api key", from: "        valueFrom:\n          secretKeyRef:\n            key: api-key\n            name: gemini-gemini-api-key\n", to: "        value: sk-test\n"},
		// v0.20's preset mounts the certificate at /var/run/kserve/tls itself; v0.16's does not.
		{fact: "tls", from: "      - mountPath: /var/run/kserve/tls\n", to: "      - mountPath: /etc/ssl/certs\n", onlyOn: []string{"v0.16.0"}},
		{fact: "pod security restricted", from: "        runAsNonRoot: true\n", to: "        runAsNonRoot: false\n"},
	} {
		for _, version := range kserveVersions {
			if m.onlyOn != nil && !slices.Contains(m.onlyOn, version) {
				continue
			}
			t.Run(version+"/"+m.fact+"/"+strings.TrimSpace(m.to), func(t *testing.T) {
				rendered := renderedOverlay(t, "gemini")
				require.True(t, strings.Contains(rendered, m.from), "the mutation %q must apply to testdata/e2e/gemini.yaml", m.from)
				var svc llmisvc
				require.NoError(t, yaml.Unmarshal([]byte(strings.Replace(rendered, m.from, m.to, 1)), &svc))
				found := violations(presetTemplate(t, version), svc)
				require.NotEmpty(t, found, "breaking %q went unnoticed", m.fact)
				require.True(t, strings.HasPrefix(found[0], m.fact+": "), "the first violation names %q: %v", m.fact, found)
			})
		}
	}
}
