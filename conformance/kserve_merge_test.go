// Package conformance checks rendered manifests the way a cluster would: KServe's merge of
// spec.template onto its vLLM preset, the Go-template rendering of the result, and Pod
// Security "restricted" on the effective pod. The KServe presets come from the
// github.com/kserve/kserve module itself, at the versions we support.
package conformance

import (
	"bytes"
	"encoding/json"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// kserveVersions are the first release with LLMInferenceService and the newest we support.
var kserveVersions = []string{"v0.16.0", "v0.20.0"}

var overlays = map[string]string{"gemini": "GEMINI_API_KEY", "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

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

type llmisvc struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Model struct {
			Name string `json:"name"`
			URI  string `json:"uri"`
		} `json:"model"`
		Template json.RawMessage `json:"template"`
	} `json:"spec"`
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, into))
}

// effectivePod does what KServe's controller does with the main workload: a strategic merge
// of the service's spec.template onto the preset's (lists by name, command/args replaced
// whole), then the whole result rendered as a Go template.
func effectivePod(t *testing.T, presetFile string, svc llmisvc) corev1.PodSpec {
	t.Helper()
	var preset struct {
		Spec struct {
			Template json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	readYAML(t, presetFile, &preset)
	merged, err := strategicpatch.StrategicMergePatch(preset.Spec.Template, svc.Spec.Template, corev1.PodSpec{})
	require.NoError(t, err)

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
	require.NoError(t, err, "the merged spec does not parse as a Go template (a stray {{ in our fields?)")
	var rendered bytes.Buffer
	require.NoError(t, tmpl.Execute(&rendered, data), "the merged spec does not render as a Go template")

	var pod corev1.PodSpec
	require.NoError(t, json.Unmarshal(rendered.Bytes(), &pod))
	return pod
}

// TestEffectivePodRunsLlamaStack checks each overlay's rendered LLMInferenceService against
// each KServe preset: the pod KServe would create must run our server, not vLLM.
func TestEffectivePodRunsLlamaStack(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for _, version := range kserveVersions {
		preset := filepath.Join(kserveDir(t, version), "config", "llmisvcconfig", "config-llm-template.yaml")
		for provider, keyEnv := range overlays {
			t.Run(version+"/"+provider, func(t *testing.T) {
				var svc llmisvc
				readYAML(t, filepath.Join(root, "testdata", "e2e", provider+".yaml"), &svc)
				var ours corev1.PodSpec
				require.NoError(t, json.Unmarshal(svc.Spec.Template, &ours))
				pod := effectivePod(t, preset, svc)

				require.Equal(t, []string{"main"}, containerNames(pod), "fact: only a container named main replaces the preset's")
				main := pod.Containers[0]
				require.Equal(t, "main", main.Name, "fact: the serving container is named main")
				require.Equal(t, ours.Containers[0].Image, main.Image)
				require.Equal(t, ours.Containers[0].Command, main.Command, "fact: command is ours, replaced whole")
				require.Equal(t, ours.Containers[0].Args, main.Args, "fact: args are ours (v0.16's preset has vLLM args)")
				require.NotContains(t, strings.Join(append(main.Command, main.Args...), " "), "vllm", "fact: no vLLM command survives the merge")

				probes := map[string]*corev1.Probe{"liveness": main.LivenessProbe, "readiness": main.ReadinessProbe, "startup": main.StartupProbe}
				for name, p := range probes {
					require.NotNil(t, p, "fact: the %s probe is set (v0.20's preset probes /health, which Llama Stack does not serve)", name)
					h := p.ProbeHandler
					require.Nil(t, h.Exec, "fact: %s probe has one handler", name)
					require.Nil(t, h.TCPSocket, "fact: %s probe has one handler", name)
					require.Nil(t, h.GRPC, "fact: %s probe has one handler", name)
					require.NotNil(t, h.HTTPGet, "fact: %s probe is httpGet", name)
					require.Equal(t, "/v1/health", h.HTTPGet.Path, "fact: %s probe hits Llama Stack's health path", name)
					require.Equal(t, 8000, h.HTTPGet.Port.IntValue(), "fact: %s probe port is 8000", name)
					require.Equal(t, corev1.URISchemeHTTPS, h.HTTPGet.Scheme, "fact: %s probe scheme is HTTPS", name)
				}

				require.Contains(t, main.Ports, corev1.ContainerPort{ContainerPort: 8000, Protocol: corev1.ProtocolTCP}, "fact: the server listens on 8000")
				env := map[string]corev1.EnvVar{}
				for _, e := range main.Env {
					env[e.Name] = e
				}
				require.Equal(t, "8000", env["LLAMA_STACK_PORT"].Value, "fact: LLAMA_STACK_PORT=8000")
				require.NotNil(t, env[keyEnv].ValueFrom, "fact: %s comes from a Secret", keyEnv)
				require.Equal(t, provider+"-"+provider+"-api-key", env[keyEnv].ValueFrom.SecretKeyRef.Name)

				mounted := false
				for _, m := range main.VolumeMounts {
					if m.MountPath == "/var/run/kserve/tls" && m.Name == "tls-certs" {
						mounted = true
					}
				}
				require.True(t, mounted, "fact: the TLS certificate is mounted at /var/run/kserve/tls")
				require.Contains(t, volumeNames(pod), "tls-certs", "the preset provides the tls-certs volume")
				script := strings.Join(main.Args, "\n")
				require.Contains(t, script, "/var/run/kserve/tls/tls.crt", "fact: the start-up reads the mounted certificate")
				require.Contains(t, script, "/var/run/kserve/tls/tls.key")

				// Pod Security "restricted" on the effective pod.
				evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
				require.NoError(t, err)
				var failures []string
				for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, &metav1.ObjectMeta{Name: svc.Metadata.Name}, &pod) {
					if !r.Allowed {
						failures = append(failures, r.ForbiddenReason+": "+r.ForbiddenDetail)
					}
				}
				require.Empty(t, failures, "the effective pod meets Pod Security restricted")
			})
		}
	}
}

func containerNames(pod corev1.PodSpec) []string {
	var names []string
	for _, c := range pod.Containers {
		names = append(names, c.Name)
	}
	return names
}

func volumeNames(pod corev1.PodSpec) []string {
	var names []string
	for _, v := range pod.Volumes {
		names = append(names, v.Name)
	}
	return names
}
