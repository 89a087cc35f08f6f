package conformance

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// identityExamples are the examples of spec.identity and what each must find in the pod that
// KServe's controller makes: the service account, env values, and each volume by its mount
// path, read-only, with its source.
type identityExample struct {
	dir, serviceAccount string
	env                 map[string]string
	volumes             map[string]func(corev1.Volume) bool
}

var identityExamples = []identityExample{
	{
		dir: "examples/features/vertex-identity", serviceAccount: "vertex-caller",
		env: map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "/var/run/secrets/llamastack/vertexai/service-account.json"},
		volumes: map[string]func(corev1.Volume) bool{
			"/var/run/secrets/llamastack/vertexai": func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == "vertex-sa" },
		},
	},
	{
		dir: "examples/features/bedrock-irsa", serviceAccount: "bedrock-caller",
		env: map[string]string{
			"AWS_ROLE_ARN":                "arn:aws:iam::123456789012:role/bedrock-invoke",
			"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
		},
		volumes: map[string]func(corev1.Volume) bool{
			"/var/run/secrets/eks.amazonaws.com/serviceaccount": stsToken,
		},
	},
	{
		// Not identity, but the same kind of fields (issue 21): the proxy's env, the joined CA
		// bundle's env and the CA ConfigMaps' mounts.
		dir: "examples/features/proxy-ca",
		env: map[string]string{
			"HTTPS_PROXY": "http://proxy.corp.example:3128", "NO_PROXY": ".svc,.cluster.local",
			"SSL_CERT_FILE": "/var/lib/llamastack/ca-bundle.pem", "REQUESTS_CA_BUNDLE": "/var/lib/llamastack/ca-bundle.pem",
		},
		volumes: map[string]func(corev1.Volume) bool{
			"/etc/llamastack-integration-ca/network-ca": configMapNamed("corporate-ca"),
			"/etc/llamastack-integration-ca/trusted-ca": configMapNamed("proxy-ca-llamastack-trusted-ca"),
		},
	},
}

func configMapNamed(name string) func(corev1.Volume) bool {
	return func(v corev1.Volume) bool { return v.ConfigMap != nil && v.ConfigMap.Name == name }
}

// stsToken is the projected service-account token that AWS STS accepts.
func stsToken(v corev1.Volume) bool {
	if v.Projected == nil || len(v.Projected.Sources) != 1 {
		return false
	}
	t := v.Projected.Sources[0].ServiceAccountToken
	return t != nil && t.Audience == "sts.amazonaws.com" && t.Path == "token" && t.ExpirationSeconds != nil
}

// TestKServeKeepsIdentity renders the identity examples with the current function and applies
// them to KServe's real controller (v0.20, and v0.16 with its own output): the Deployment's pod
// must keep every field the identity adds (issue 21: workload identity). Rendering here, not
// reading testdata/e2e, makes the test fail when the function stops writing a field, as well
// as when KServe drops one.
func TestKServeKeepsIdentity(t *testing.T) {
	variants := []controllerVariant{{name: "v0.20.0", version: "v0.20.0", tls: true, settings: map[string]string{}}, controllerVariants[2]}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			rendered := renderedForVariant(t, v)
			services := map[string][]*kyaml.RNode{}
			for _, ex := range identityExamples {
				services[ex.dir] = rendered[strings.ReplaceAll(ex.dir, "/", "-")]
				require.NotEmpty(t, services[ex.dir], "no render of %s", ex.dir)
			}
			c := startKServe(t, v.version, v.tls)
			for _, a := range c.applyEach(t, services) {
				t.Run(a.source, func(t *testing.T) {
					ex := identityExamples[slices.IndexFunc(identityExamples, func(ex identityExample) bool { return ex.dir == a.source })]
					w, missing := c.waitForWorkload(t, a, time.Minute)
					require.Empty(t, missing, "KServe made no %v: conditions %+v, warnings %v", missing, w.status.Conditions, w.warnings)
					for _, problem := range ex.problems(w.deployment.Spec.Template.Spec) {
						t.Error(problem)
					}
				})
			}
		})
	}
}

// serviceAccounts are the ServiceAccounts that the services among objects run as, which the
// user creates: KServe v0.20 reconciles nothing until the service account exists ("failed to
// fetch existing multi node main service account").
func serviceAccounts(t *testing.T, objects []*kyaml.RNode) []string {
	t.Helper()
	var docs []string
	for _, o := range objects {
		if o.GetKind() != "LLMInferenceService" {
			continue
		}
		name, err := o.Pipe(kyaml.Lookup("spec", "template", "serviceAccountName"))
		require.NoError(t, err)
		if name != nil {
			docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s}\n", kyaml.GetValue(name), o.GetNamespace()))
		}
	}
	return docs
}

// identityCredentials counts Bedrock's IAM role (identity.aws with projectToken) as main's
// credentials, for the simulated merge (kserve_merge_test.go): the role and the projected
// token's file, where the render puts it.
func identityCredentials(env map[string]corev1.EnvVar, fact func(ok bool, name, format string, args ...any)) int {
	token, ok := env["AWS_WEB_IDENTITY_TOKEN_FILE"]
	if !ok {
		return 0
	}
	fact(token.Value == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", "api key", "AWS_WEB_IDENTITY_TOKEN_FILE must point at the projected token")
	fact(env["AWS_ROLE_ARN"].Value != "", "api key", "AWS_WEB_IDENTITY_TOKEN_FILE needs AWS_ROLE_ARN")
	return 1
}

// problems lists what of the example's identity the pod lacks.
func (ex identityExample) problems(pod corev1.PodSpec) []string {
	var problems []string
	if ex.serviceAccount != "" && pod.ServiceAccountName != ex.serviceAccount {
		problems = append(problems, fmt.Sprintf("the pod's serviceAccountName is %q, not %q", pod.ServiceAccountName, ex.serviceAccount))
	}
	i := slices.IndexFunc(pod.Containers, func(c corev1.Container) bool { return c.Name == "main" })
	if i < 0 {
		return append(problems, "the pod has no container main")
	}
	main := pod.Containers[i]
	for name, value := range ex.env {
		j := slices.IndexFunc(main.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		if j < 0 || main.Env[j].Value != value {
			problems = append(problems, fmt.Sprintf("main has no env %s=%s", name, value))
		}
	}
	for path, source := range ex.volumes {
		j := slices.IndexFunc(main.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == path })
		if j < 0 || !main.VolumeMounts[j].ReadOnly {
			problems = append(problems, fmt.Sprintf("main has no read-only mount at %s", path))
			continue
		}
		k := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == main.VolumeMounts[j].Name })
		if k < 0 || !source(pod.Volumes[k]) {
			problems = append(problems, fmt.Sprintf("the volume %s mounted at %s is missing or has another source", main.VolumeMounts[j].Name, path))
		}
	}
	return problems
}

// renderExample renders an example's kustomization with bin/kustomize and the current
// function (make build).
func renderExample(t *testing.T, dir string) []*kyaml.RNode {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(root, "bin", "kustomize"), "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join(root, dir))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "kustomize build %s (run make build first): %s", dir, stderr.String())
	objects, err := kio.FromBytes(out)
	require.NoError(t, err)
	return objects
}

// TestIdentityProblemsCatchEachLoss: the check above must fail when any one field is lost, so
// it is run on the rendered pod with each field removed in turn.
func TestIdentityProblemsCatchEachLoss(t *testing.T) {
	for _, ex := range identityExamples {
		var pod corev1.PodSpec
		for _, o := range renderExample(t, ex.dir) {
			if o.GetKind() == "LLMInferenceService" {
				template, err := o.Pipe(kyaml.Lookup("spec", "template"))
				require.NoError(t, err)
				require.NoError(t, yaml.Unmarshal([]byte(template.MustString()), &pod))
			}
		}
		require.Empty(t, ex.problems(pod), "the rendered template of %s has every field", ex.dir)
		losses := map[string]func(p *corev1.PodSpec){
			"service account": func(p *corev1.PodSpec) { p.ServiceAccountName = "" },
			"env":             func(p *corev1.PodSpec) { p.Containers[0].Env = nil },
			"mounts":          func(p *corev1.PodSpec) { p.Containers[0].VolumeMounts = nil },
			"volume sources":  func(p *corev1.PodSpec) { p.Volumes = nil },
		}
		for name, lose := range losses {
			if name == "service account" && ex.serviceAccount == "" {
				continue
			}
			broken := *pod.DeepCopy()
			lose(&broken)
			require.NotEmpty(t, ex.problems(broken), "%s: losing the %s went unnoticed", ex.dir, name)
		}
	}
}
