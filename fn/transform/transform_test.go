package transform

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

func testConfig(t *testing.T, provider string) *config.Config {
	t.Helper()
	p, ok := providers.Lookup(provider)
	require.True(t, ok)
	keys := map[string]string{}
	for _, s := range p.Secrets {
		keys[s.Env] = s.Key
	}
	return &config.Config{
		Providers: []config.ProviderConfig{{
			Provider: p, Model: p.DefaultModel, SecretName: v1alpha1.DefaultSecretName(provider), SecretKeys: keys,
		}},
		GatewayName: "maas-default-gateway", GatewayNamespace: "openshift-ingress",
		KServe: kserve.Default(), TLS: true, SkipModelDownload: true, Line: ogx, LineFromImage: true,
	}
}

var ogx, _ = llamastack.LineNamed("ogx")

func apply(t *testing.T, doc string, cfg *config.Config) (*yaml.RNode, Outcome) {
	t.Helper()
	node := yaml.MustParse(doc)
	require.Empty(t, Check(node, cfg))
	out, err := Apply(node, cfg)
	require.NoError(t, err)
	return node, out
}

func lookup(t *testing.T, node *yaml.RNode, path string) string {
	t.Helper()
	v, err := node.GetFieldValue(path)
	require.NoError(t, err, path)
	return fmt.Sprint(v)
}

// TestKServeFacts checks each fact KServe imposes, on a service that has none of them.
func TestKServeFacts(t *testing.T) {
	node, out := apply(t, "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls, namespace: llm}\n", testConfig(t, "gemini"))
	require.Empty(t, out.Warnings)
	containers, err := node.Pipe(yaml.Lookup("spec", "template", "containers"))
	require.NoError(t, err)
	elements, err := containers.Elements()
	require.NoError(t, err)
	require.Len(t, elements, 1)
	main := elements[0]
	require.Equal(t, "main", lookup(t, main, "name"))
	require.Equal(t, llamastack.DefaultImage, lookup(t, main, "image"))
	command, err := main.GetSlice("command")
	require.NoError(t, err)
	require.Equal(t, []any{"/bin/sh", "-c"}, command)
	args, err := main.GetSlice("args")
	require.NoError(t, err)
	require.Equal(t, []any{startup.Script}, args)
	for _, probe := range kserve.Probes {
		require.Equal(t, "/v1/health", lookup(t, main, probe+".httpGet.path"))
		require.Equal(t, "8000", lookup(t, main, probe+".httpGet.port"))
		require.Equal(t, "HTTPS", lookup(t, main, probe+".httpGet.scheme"))
	}
	require.Equal(t, "gemini-gemini-api-key", lookup(t, main, "env.[name=GEMINI_API_KEY].valueFrom.secretKeyRef.name"))
	require.Equal(t, "api-key", lookup(t, main, "env.[name=GEMINI_API_KEY].valueFrom.secretKeyRef.key"))
	require.Equal(t, "8000", lookup(t, main, "env.[name=OGX_PORT].value"))
	require.Equal(t, "llamastack-data", lookup(t, main, "volumeMounts.[mountPath=/var/lib/llamastack].name"))
	require.Equal(t, "llamastack-startup", lookup(t, main, "volumeMounts.[mountPath=/etc/llamastack-integration].name"))
	require.Equal(t, []string{startup.ProgramConfigMapName(node, testConfig(t, "gemini")), startup.ConfigMapName(node, testConfig(t, "gemini"))}, StartupConfigMaps(node))
	require.Equal(t, "8000", lookup(t, main, "ports.[containerPort=8000].containerPort"))
	require.Equal(t, "tls-certs", lookup(t, main, "volumeMounts.[mountPath=/var/run/kserve/tls].name"))
	require.Equal(t, "gemini-2.0-flash", lookup(t, node, "spec.model.name"))
	require.Equal(t, v1alpha1.DefaultModelURI, lookup(t, node, "spec.model.uri"))
	require.Equal(t, "false", lookup(t, node, "spec.storageInitializer.enabled"))
	require.Equal(t, "maas-default-gateway", lookup(t, node, "spec.router.gateway.refs.[name=maas-default-gateway].name"))
	require.Equal(t, "openshift-ingress", lookup(t, node, "spec.router.gateway.refs.[name=maas-default-gateway].namespace"))
	route, err := node.Pipe(yaml.Lookup("spec", "router", "route"))
	require.NoError(t, err)
	require.Equal(t, "{}", strings.TrimSpace(route.MustString()))
	require.Equal(t, "gemini", node.GetLabels()[v1alpha1.ProviderLabel])
	require.Equal(t, "ls", node.GetLabels()[v1alpha1.InstanceLabel])
	require.NotContains(t, node.MustString(), "{{", "KServe renders the spec as a Go template")
	require.NotContains(t, node.MustString(), maas.TiersAnnotation, "no tiers annotation unless spec.tiers is set")
}

// TestDeployBaseLeavesTheStartupToTheFunction keeps deploy/base provider-neutral and free of
// what the function owns: the function writes the start-up and the kserve.Probes' handlers,
// replaces the base's placeholders for the model's name and URI (there so that patches of
// them apply) without a warning, and leaves the base's comments alone.
func TestDeployBaseLeavesTheStartupToTheFunction(t *testing.T) {
	b, err := os.ReadFile("../../deploy/base/llminferenceservice.yaml")
	require.NoError(t, err)
	require.Equal(t, ModelNamePlaceholder, lookup(t, yaml.MustParse(string(b)), "spec.model.name"))
	require.Equal(t, v1alpha1.DefaultModelURI, lookup(t, yaml.MustParse(string(b)), "spec.model.uri"))
	node, out := apply(t, string(b), testConfig(t, "openai"))
	require.NotContains(t, node.MustString(), ModelNamePlaceholder)
	require.Equal(t, []diag.Problem{{Path: "metadata.namespace", Message: "is not set, so the model does not answer to publishers/<namespace>/models/gpt-4o, the name current MaaS lists; set the namespace (kustomize's namespace field, or kpt fn eval set-namespace)"}}, out.Warnings,
		"the overlays set the namespace")
	require.Equal(t, []string{
		"label provider=openai", "label app.kubernetes.io/instance=llamastack", "spec.model.name=gpt-4o",
		"spec.storageInitializer.enabled=false (no model download)",
		"spec.router.gateway.refs=[openshift-ingress/maas-default-gateway]",
		"image=docker.io/ogxai/distribution-starter:1.3.0",
		"command and args run the start-up of ConfigMap " + startup.ConfigMapName(node, testConfig(t, "openai")),
		"env OGX_PORT=8000",
		"startupProbe httpGet https :8000/v1/health", "livenessProbe httpGet https :8000/v1/health", "readinessProbe httpGet https :8000/v1/health",
		"volume llamastack-startup from ConfigMaps " + startup.ProgramConfigMapName(node, testConfig(t, "openai")) + " and " + startup.ConfigMapName(node, testConfig(t, "openai")), "volume llamastack-data (emptyDir)",
		"mount llamastack-startup at /etc/llamastack-integration", "mount llamastack-data at /var/lib/llamastack",
		"TLS certificate mount at /var/run/kserve/tls",
		"env OPENAI_API_KEY from Secret openai-openai-api-key key api-key",
	}, out.Changes)
	require.Contains(t, node.MustString(), "# Without route, KServe creates no HTTPRoute", "comments survive")
}

// TestReleasesAndTLS renders one service for each KServe release line and TLS setting, then
// renders the result again for another setting: the function's own fields follow the setting
// both times, and a second run with the same setting changes nothing.
func TestReleasesAndTLS(t *testing.T) {
	v016, _ := kserve.Lookup("v0.16")
	for _, tc := range []struct {
		name    string
		release kserve.Release
		tls     bool
		// want are field paths and their values; "" means absent.
		want map[string]string
	}{
		{name: "v0.20 https", release: kserve.Default(), tls: true, want: map[string]string{
			"spec.model.uri": v1alpha1.DefaultModelURI, "spec.storageInitializer.enabled": "false",
			"spec.router.gateway.refs.[name=maas-default-gateway].namespace": "openshift-ingress",
			"probe scheme": "HTTPS", "tls mount": "tls-certs",
		}},
		{name: "v0.20 plain http", release: kserve.Default(), tls: false, want: map[string]string{
			"spec.model.uri": v1alpha1.DefaultModelURI, "spec.storageInitializer.enabled": "false",
			"probe scheme": "HTTP",
		}},
		{name: "v0.16", release: v016, tls: true, want: map[string]string{
			"spec.model.uri": "pvc://ls-no-weights", "spec.storageInitializer": "", "spec.router.gateway": "",
			"probe scheme": "HTTPS", "tls mount": "tls-certs",
		}},
	} {
		for _, from := range []struct {
			release kserve.Release
			tls     bool
		}{{kserve.Default(), true}, {kserve.Default(), false}, {v016, true}} {
			t.Run(fmt.Sprintf("%s from %s tls=%v", tc.name, from.release.Version, from.tls), func(t *testing.T) {
				before := testConfig(t, "openai")
				before.KServe, before.TLS, before.SkipModelDownload = from.release, from.tls, from.release.StorageInitializerField
				node, _ := apply(t, "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls}\n", before)

				cfg := testConfig(t, "openai")
				cfg.KServe, cfg.TLS, cfg.SkipModelDownload = tc.release, tc.tls, tc.release.StorageInitializerField
				_, err := Apply(node, cfg)
				require.NoError(t, err)
				main, err := node.Pipe(yaml.Lookup("spec", "template", "containers", "[name=main]"))
				require.NoError(t, err)
				for path, want := range tc.want {
					var got *yaml.RNode
					switch path {
					case "probe scheme":
						for _, probe := range kserve.Probes {
							require.Equal(t, want, lookup(t, main, probe+".httpGet.scheme"))
						}
						continue
					case "tls mount":
						got, err = main.Pipe(yaml.Lookup("volumeMounts", "[mountPath=/var/run/kserve/tls]", "name"))
					default:
						got, err = node.Pipe(yaml.Lookup(strings.Split(path, ".")...))
					}
					require.NoError(t, err)
					if want == "" {
						require.Nil(t, got, "%s must be absent", path)
					} else {
						require.NotNil(t, got, path)
						require.Equal(t, want, strings.TrimSpace(got.MustString()), path)
					}
				}
				args, err := main.GetSlice("args")
				require.NoError(t, err)
				require.Equal(t, []any{startup.Script}, args, "the function keeps its own start-up current")

				again, err := Apply(node, cfg)
				require.NoError(t, err)
				require.Empty(t, again.Changes)
			})
		}
	}
}

// TestUsersCommandIsKept: a command the user wrote is not the function's to replace.
func TestUsersCommandIsKept(t *testing.T) {
	doc := `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata: {name: ls}
spec:
  template:
    containers:
    - name: main
      command: [/opt/start.sh]
      args: [--serve]
`
	node, _ := apply(t, doc, testConfig(t, "openai"))
	main, err := node.Pipe(yaml.Lookup("spec", "template", "containers", "[name=main]"))
	require.NoError(t, err)
	args, err := main.GetSlice("args")
	require.NoError(t, err)
	require.Equal(t, []any{"--serve"}, args)
	require.Equal(t, "/opt/start.sh", lookup(t, main, "command.0"))
}

func TestIdempotentAndKeyedByName(t *testing.T) {
	doc := `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata:
  name: ls
  labels: {}
spec:
  template:
    containers:
    - name: main
      env:
      - valueFrom: {secretKeyRef: {key: api-key, name: gemini-gemini-api-key}}
        name: GEMINI_API_KEY
      - {name: LLAMA_STACK_PORT, value: "8000"}
      ports: [{containerPort: 8000}]
`
	cfg := testConfig(t, "gemini")
	node, _ := apply(t, doc, cfg)
	first := node.MustString()
	require.Equal(t, 1, strings.Count(first, "name: GEMINI_API_KEY"))
	require.Equal(t, 1, strings.Count(first, "name: LLAMA_STACK_PORT"))
	require.Equal(t, 1, strings.Count(first, "containerPort"))
	require.Contains(t, first, "labels:\n    provider: gemini", "a flow-style {} map that gains keys becomes block style")

	again, out := apply(t, first, cfg)
	require.Equal(t, first, again.MustString())
	require.Empty(t, out.Changes, "a second run changes nothing")
}

func TestSecretRefUpdatesInPlace(t *testing.T) {
	doc := `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata: {name: ls}
spec:
  template:
    containers:
    - name: main
      env:
      - name: OPENAI_API_KEY
        valueFrom:
          configMapKeyRef: {name: wrong, key: api-key}
      - name: OGX_PORT
        valueFrom: {fieldRef: {fieldPath: metadata.name}}
`
	cfg := testConfig(t, "openai")
	cfg.Providers[0].SecretName, cfg.Providers[0].SecretKeys["OPENAI_API_KEY"] = "rotated", "v2"
	node, _ := apply(t, doc, cfg)
	require.Equal(t, "rotated", lookup(t, node, "spec.template.containers.[name=main].env.[name=OPENAI_API_KEY].valueFrom.secretKeyRef.name"))
	require.Equal(t, "v2", lookup(t, node, "spec.template.containers.[name=main].env.[name=OPENAI_API_KEY].valueFrom.secretKeyRef.key"))
	require.NotContains(t, node.MustString(), "configMapKeyRef")
	require.NotContains(t, node.MustString(), "fieldRef", "OGX_PORT becomes a literal 8000")
}

func TestKeepsBaseChoices(t *testing.T) {
	doc := `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata: {name: ls, namespace: llm}
spec:
  model: {uri: "oci://registry/model:1"}
  router:
    route: {http: {spec: {}}}
  template:
    containers:
    - name: main
      image: quay.io/me/llama-stack:0.3.1
      command: [llama]
      args: [stack, run, starter]
      livenessProbe: {httpGet: {path: /health}, periodSeconds: 7}
`
	cfg := testConfig(t, "anthropic")
	cfg.LineFromImage = false // spec.imageLine names the line of this unknown image
	node, out := apply(t, doc, cfg)
	require.Equal(t, []diag.Problem{{Path: "spec.template.containers[name=main].livenessProbe.httpGet.path", Message: "was /health in the input; replaced by /v1/health from Llama Stack's health endpoint"}}, out.Warnings)
	require.Equal(t, "oci://registry/model:1", lookup(t, node, "spec.model.uri"))
	require.Equal(t, "quay.io/me/llama-stack:0.3.1", lookup(t, node, "spec.template.containers.[name=main].image"))
	require.Equal(t, "llama", lookup(t, node, "spec.template.containers.[name=main].command.0"))
	require.Equal(t, "7", lookup(t, node, "spec.template.containers.[name=main].livenessProbe.periodSeconds"))
	require.Equal(t, "/v1/health", lookup(t, node, "spec.template.containers.[name=main].livenessProbe.httpGet.path"))
	require.NotContains(t, node.MustString(), "route: {}", "an existing route is kept")
}

func TestCheckFindings(t *testing.T) {
	for _, tc := range []struct{ name, spec, path string }{
		{"template not a map", "template: []", "spec.template"},
		{"containers not a list", "template: {containers: {name: main}}", "spec.template.containers"},
		{"env not a list", "template: {containers: [{name: main, env: {A: b}}]}", "spec.template.containers[name=main].env"},
		{"grpc probe", "template: {containers: [{name: main, readinessProbe: {grpc: {port: 8000}}}]}", "spec.template.containers[name=main].readinessProbe.grpc"},
		{"tcp probe", "template: {containers: [{name: main, startupProbe: {tcpSocket: {port: 8000}}}]}", "spec.template.containers[name=main].startupProbe.tcpSocket"},
		{"nameless container", "template: {containers: [{image: x}]}", "spec.template.containers[0]"},
		{"refs not a list", "router: {gateway: {refs: {name: x}}}", "spec.router.gateway.refs"},
		{"volumes not a list", "template: {volumes: {name: x}}", "spec.template.volumes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := yaml.MustParse("apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls}\nspec:\n  " + tc.spec + "\n")
			findings := Check(node, testConfig(t, "gemini"))
			require.Len(t, findings, 1)
			require.Equal(t, tc.path, findings[0].Path)
		})
	}
}

// TestOwnedFields: every field the function owns that held another value in the input is
// replaced with one warning, in one form, that gives the old value (never a credential or a
// password), the new one and where it comes from; the function's own values and equal
// values give none.
func TestOwnedFields(t *testing.T) {
	const head = "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls, namespace: llm"
	main := func(fields string) string {
		return head + "}\nspec:\n  template:\n    containers:\n    - name: main\n      " + fields + "\n"
	}
	vertex := testConfig(t, "vertexai")
	vertex.Providers[0].Settings = map[string]string{"VERTEX_AI_PROJECT": "p"}
	uid := int64(1001)
	withUser := testConfig(t, "openai")
	withUser.RunAsUser = &uid
	withURI := testConfig(t, "openai")
	withURI.ModelURI = "s3://bucket/model"
	withImage := testConfig(t, "openai")
	withImage.Image = "docker.io/ogxai/distribution-starter:1.3.0"
	ollama := testConfig(t, "ollama")
	ollama.Providers[0].Settings = map[string]string{"OLLAMA_URL": "http://ollama:11434/v1"}
	for _, tc := range []struct {
		name string
		doc  string
		cfg  *config.Config
		want []diag.Problem
	}{
		{"provider label", head + ", labels: {provider: gemini}}", testConfig(t, "openai"),
			[]diag.Problem{{Path: "metadata.labels.provider", Message: "was gemini in the input; replaced by openai from spec.provider"}}},
		{"instance label", head + ", labels: {app.kubernetes.io/instance: other}}", testConfig(t, "openai"),
			[]diag.Problem{{Path: "metadata.labels.app.kubernetes.io/instance", Message: "was other in the input; replaced by ls from the service's name"}}},
		{"model name from a patch", head + "}\nspec: {model: {name: gpt-3.5-turbo}}", testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.model.name", Message: "was gpt-3.5-turbo in the input; replaced by gpt-4o from spec.model"}}},
		{"model uri", head + "}\nspec: {model: {uri: 'oci://r/m:1'}}", withURI,
			[]diag.Problem{{Path: "spec.model.uri", Message: "was oci://r/m:1 in the input; replaced by s3://bucket/model from spec.modelURI"}}},
		{"the function's placeholder uri", head + "}\nspec: {model: {uri: 'hf://llamastack-integration/no-weights'}}", withURI, nil},
		{"model download on", head + "}\nspec: {storageInitializer: {enabled: true}}", testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.storageInitializer.enabled", Message: "was true in the input; replaced by false from spec.skipModelDownload"}}},
		{"image", main("image: docker.io/llamastack/distribution-starter:0.3.5"), withImage,
			[]diag.Problem{{Path: "spec.template.containers[name=main].image", Message: "was docker.io/llamastack/distribution-starter:0.3.5 in the input; replaced by docker.io/ogxai/distribution-starter:1.3.0 from spec.image"}}},
		{"port", main("env: [{name: OGX_PORT, value: '8321'}]"), testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.template.containers[name=main].env[name=OGX_PORT].value", Message: "was 8321 in the input; replaced by 8000 from KServe's model server port"}}},
		{"port from a ConfigMap", main("env: [{name: OGX_PORT, valueFrom: {configMapKeyRef: {name: c, key: k}}}]"), testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.template.containers[name=main].env[name=OGX_PORT]", Message: "was read with valueFrom in the input; replaced by the value 8000 from KServe's model server port"}}},
		{"probe port", main("readinessProbe: {httpGet: {port: 8080}}"), testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.template.containers[name=main].readinessProbe.httpGet.port", Message: "was 8080 in the input; replaced by 8000 from KServe's model server port"}}},
		{"probe scheme", main("startupProbe: {httpGet: {scheme: HTTP}}"), testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.template.containers[name=main].startupProbe.httpGet.scheme", Message: "was HTTP in the input; replaced by HTTPS from spec.tls"}}},
		{"the same port as a string", main("readinessProbe: {httpGet: {port: '8000'}}"), testConfig(t, "openai"), nil},
		{"another Secret", main("env: [{name: OPENAI_API_KEY, valueFrom: {secretKeyRef: {name: old-secret, key: api-key}}}]"), testConfig(t, "openai"),
			[]diag.Problem{{Path: "spec.template.containers[name=main].env[name=OPENAI_API_KEY].valueFrom.secretKeyRef.name", Message: "was old-secret in the input; replaced by openai-openai-api-key from apiKeySecret"}}},
		{"a setting", main("env: [{name: OLLAMA_URL, value: 'http://admin:s3cret-canary@old:11434/v1'}]"), ollama,
			[]diag.Problem{{Path: "spec.template.containers[name=main].env[name=OLLAMA_URL].value", Message: "was http://admin:xxxxx@old:11434/v1 in the input; replaced by http://ollama:11434/v1 from settings"}}},
		{"a credentials volume", head + "}\nspec:\n  template:\n    volumes: [{name: vertexai-credentials, secret: {secretName: old}}]", vertex,
			[]diag.Problem{{Path: "spec.template.volumes[name=vertexai-credentials].secret.secretName", Message: "was old in the input; replaced by vertexai-vertexai-api-key from apiKeySecret"}}},
		{"the pod's user", head + "}\nspec:\n  template:\n    securityContext: {runAsUser: 0}", withUser,
			[]diag.Problem{{Path: "spec.template.securityContext.runAsUser", Message: "was 0 in the input; replaced by 1001 from spec.runAsUser"}}},
		{"a credential-like old value is not repeated", head + ", labels: {provider: sk-proj-AbCdEf0123456789canary}}", testConfig(t, "openai"),
			[]diag.Problem{{Path: "metadata.labels.provider", Message: "was a value that looks like a credential (30 characters, not repeated here) in the input; replaced by openai from spec.provider"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, out := apply(t, tc.doc, tc.cfg)
			require.Equal(t, tc.want, out.Warnings)
			require.NotContains(t, fmt.Sprint(out.Warnings), "canary", "no credential or password is repeated")
			again, err := Apply(node, tc.cfg)
			require.NoError(t, err)
			require.Empty(t, again.Warnings, "a second run warns no more")
		})
	}
}

// TestMountConflicts: a volume of the base at a path the function mounts, or under a name it
// adds, is an error that names both volumes when the server needs what the function mounts
// there, and is kept with a warning at the data folder. No output has two mounts at one path
// or a volume with two sources, which the API server or the kubelet would refuse.
func TestMountConflicts(t *testing.T) {
	const tlsConflict = "mounts the volume custom-certs, but the function mounts the volume tls-certs here: KServe's serving certificate, which KServe mounts here too and the server reads with tls on. A path holds one volume, so one of them would be lost: mount custom-certs at another path"
	const head = "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls, namespace: llm}\nspec:\n  template:\n"
	withMount := func(name, path string) string {
		return head + "    containers: [{name: main, volumeMounts: [{name: " + name + ", mountPath: '" + path + "'}]}]\n"
	}
	withVolume := func(volume string) string { return head + "    volumes: [" + volume + "]\n" }
	vertex := testConfig(t, "vertexai")
	vertex.Providers[0].Settings = map[string]string{"VERTEX_AI_PROJECT": "p"}
	plain := testConfig(t, "openai")
	plain.TLS = false
	for _, tc := range []struct {
		name, doc      string
		cfg            *config.Config
		errs, warnings []diag.Problem    // Check's findings; Apply's warnings when there are none
		mounted        map[string]string // the volume at each path in the output
		keeps          string            // text the output keeps
	}{
		{name: "another volume at the TLS path", doc: withMount("custom-certs", "/var/run/kserve/tls"), cfg: testConfig(t, "openai"),
			errs: []diag.Problem{{Path: "spec.template.containers[name=main].volumeMounts[mountPath=/var/run/kserve/tls]", Message: tlsConflict}}},
		{name: "the same, written with a trailing slash", doc: withMount("custom-certs", "/var/run/kserve/tls/"), cfg: testConfig(t, "openai"),
			errs: []diag.Problem{{Path: "spec.template.containers[name=main].volumeMounts[mountPath=/var/run/kserve/tls/]", Message: tlsConflict}}},
		{name: "the certificate with a trailing slash is one mount", doc: withMount("tls-certs", "/var/run/kserve/tls/"), cfg: testConfig(t, "openai"),
			mounted: map[string]string{"/var/run/kserve/tls": "tls-certs"}},
		{name: "another volume at the TLS path without TLS", doc: withMount("custom-certs", "/var/run/kserve/tls"), cfg: plain,
			mounted: map[string]string{"/var/run/kserve/tls": "custom-certs"}},
		{name: "another volume at the start-up folder", doc: withMount("scripts", "/etc/llamastack-integration"), cfg: testConfig(t, "openai"),
			errs: []diag.Problem{{Path: "spec.template.containers[name=main].volumeMounts[mountPath=/etc/llamastack-integration]",
				Message: "mounts the volume scripts, but the function mounts the volume llamastack-startup here: its start-up program and settings, which main's command runs. A path holds one volume, so one of them would be lost: mount scripts at another path"}}},
		{name: "a volume named like the start-up's", doc: withVolume("{name: llamastack-startup, emptyDir: {}}"), cfg: testConfig(t, "openai"),
			errs: []diag.Problem{{Path: "spec.template.volumes[name=llamastack-startup]",
				Message: "is the base's emptyDir volume, but the function adds its own projected volume under this name: its start-up program and settings, which main's command runs. A volume has one source: rename yours (and its mounts)"}}},
		{name: "an earlier release's start-up ConfigMap volume is replaced", doc: withVolume("{name: llamastack-startup, configMap: {name: ls-startup-0123456789}}"), cfg: testConfig(t, "openai"),
			mounted: map[string]string{"/etc/llamastack-integration": "llamastack-startup"}, keeps: "projected:"},
		{name: "another volume at the credentials folder", doc: withMount("keys", "/var/run/secrets/llamastack/vertexai"), cfg: vertex,
			errs: []diag.Problem{{Path: "spec.template.containers[name=main].volumeMounts[mountPath=/var/run/secrets/llamastack/vertexai]",
				Message: "mounts the volume keys, but the function mounts the volume vertexai-credentials here: Google Vertex AI's credentials file from the Secret vertexai-vertexai-api-key, which GOOGLE_APPLICATION_CREDENTIALS points to. A path holds one volume, so one of them would be lost: mount keys at another path"}}},
		{name: "a volume named like the credentials'", doc: withVolume("{name: vertexai-credentials, emptyDir: {}}"), cfg: vertex,
			errs: []diag.Problem{{Path: "spec.template.volumes[name=vertexai-credentials]",
				Message: "is the base's emptyDir volume, but the function adds its own secret volume under this name: Google Vertex AI's credentials file from the Secret vertexai-vertexai-api-key, which GOOGLE_APPLICATION_CREDENTIALS points to. A volume has one source: rename yours (and its mounts)"}}},
		{name: "a claim at the data folder", doc: withMount("state", "/var/lib/llamastack"), cfg: testConfig(t, "openai"),
			warnings: []diag.Problem{{Path: "spec.template.containers[name=main].volumeMounts[mountPath=/var/lib/llamastack]",
				Message: "mounts the volume state, where the function would mount its emptyDir llamastack-data: kept, so Llama Stack writes its state to the volume state (the pod's user must be able to write there)"}},
			mounted: map[string]string{"/var/lib/llamastack": "state", "/etc/llamastack-integration": "llamastack-startup"}},
		{name: "a claim named like the data volume", doc: withVolume("{name: llamastack-data, persistentVolumeClaim: {claimName: state}}"), cfg: testConfig(t, "openai"), keeps: "claimName: state",
			warnings: []diag.Problem{{Path: "spec.template.volumes[name=llamastack-data]",
				Message: "is the base's persistentVolumeClaim volume: kept, so Llama Stack writes its state to it instead of an emptyDir (with several replicas, give each its own)"}},
			mounted: map[string]string{"/var/lib/llamastack": "llamastack-data"}},
		{name: "the data emptyDir's options are kept", doc: withVolume("{name: llamastack-data, emptyDir: {sizeLimit: 1Gi}}"), cfg: testConfig(t, "openai"),
			mounted: map[string]string{"/var/lib/llamastack": "llamastack-data"}, keeps: "emptyDir: {sizeLimit: 1Gi}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := yaml.MustParse(tc.doc)
			require.Equal(t, tc.errs, Check(node, tc.cfg))
			if tc.errs != nil {
				return
			}
			out, err := Apply(node, tc.cfg)
			require.NoError(t, err)
			require.Equal(t, tc.warnings, out.Warnings)
			main, err := node.Pipe(yaml.Lookup("spec", "template", "containers", "[name=main]"))
			require.NoError(t, err)
			for p, volume := range tc.mounted {
				require.Equal(t, volume, lookup(t, main, "volumeMounts.[mountPath="+p+"].name"))
			}
			require.Contains(t, node.MustString(), tc.keeps)
			requireValidVolumes(t, node)
			again, _ := apply(t, node.MustString(), tc.cfg)
			require.Equal(t, node.MustString(), again.MustString(), "a second run changes nothing")
		})
	}
}

// requireValidVolumes checks what the API server and the kubelet require of main's mounts and
// the pod's volumes: one mount per path, one source per volume, and a volume for each mount
// (except tls-certs, which KServe adds).
func requireValidVolumes(t *testing.T, node *yaml.RNode) {
	t.Helper()
	volumes := map[string]bool{kserve.TLSVolume: true}
	if list, _ := node.Pipe(yaml.Lookup("spec", "template", "volumes")); list != nil {
		for _, v := range list.YNode().Content {
			require.Len(t, v.Content, 4, "a volume has a name and one source: %s", yaml.NewRNode(v).MustString())
			name, _ := stringValue(v, "name")
			volumes[name] = true
		}
	}
	main, err := node.Pipe(yaml.Lookup("spec", "template", "containers", "[name=main]", "volumeMounts"))
	require.NoError(t, err)
	paths := map[string]bool{}
	for _, m := range main.YNode().Content {
		p, _ := stringValue(m, "mountPath")
		require.False(t, paths[path.Clean(p)], "%s is mounted twice", p)
		paths[path.Clean(p)] = true
		name, _ := stringValue(m, "name")
		require.True(t, volumes[name] || name == "state" || name == "custom-certs", "the volume %s of a mount is defined", name)
	}
}

// TestLiteralCredentials: no credential written as a literal value survives in the output.
// The configured providers' variables in main are replaced by their Secret references, with a
// warning; any other provider's variable, or a variable named like a credential, in any
// container, is an error that says "literal value" and the fix, and never shows the value.
func TestLiteralCredentials(t *testing.T) {
	const canary = "sk-ant-canary0123456789abcdef"
	doc := func(container, env string) string {
		return "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls, namespace: llm}\nspec:\n  " +
			container + ": [{name: main, env: [" + env + "]}]}\n"
	}
	bedrock := testConfig(t, "bedrock")
	bedrock.Providers[0].Provider = bedrock.Providers[0].Provider.ForLine("ogx")
	for _, tc := range []struct {
		name, doc string
		cfg       *config.Config
		// errPath is the error's field path, "" for none.
		errPath string
	}{
		{"the configured provider's key is replaced", doc("template: {containers", "{name: ANTHROPIC_API_KEY, value: "+canary+"}"), testConfig(t, "anthropic"), ""},
		{"another provider's key", doc("template: {containers", "{name: ANTHROPIC_API_KEY, value: "+canary+"}"), testConfig(t, "openai"),
			"spec.template.containers[name=main].env[name=ANTHROPIC_API_KEY]"},
		{"a token", doc("template: {containers", "{name: HF_TOKEN, value: "+canary+"}"), testConfig(t, "openai"), "spec.template.containers[name=main].env[name=HF_TOKEN]"},
		{"a password", doc("template: {containers", "{name: DB_PASSWORD, value: "+canary+"}"), testConfig(t, "openai"), "spec.template.containers[name=main].env[name=DB_PASSWORD]"},
		{"a secret", doc("template: {containers", "{name: client_secret, value: "+canary+"}"), testConfig(t, "openai"), "spec.template.containers[name=main].env[name=client_secret]"},
		{"an access key", doc("template: {containers", "{name: MINIO_ACCESS_KEY, value: "+canary+"}"), testConfig(t, "openai"), "spec.template.containers[name=main].env[name=MINIO_ACCESS_KEY]"},
		{"an API key without underscore", doc("template: {containers", "{name: SERVICE_APIKEY, value: "+canary+"}"), testConfig(t, "openai"), "spec.template.containers[name=main].env[name=SERVICE_APIKEY]"},
		{"the configured provider's key its line does not read", doc("template: {containers", "{name: AWS_ACCESS_KEY_ID, value: "+canary+"}"), bedrock,
			"spec.template.containers[name=main].env[name=AWS_ACCESS_KEY_ID]"},
		{"the configured provider's key in a sidecar", doc("template: {containers", "{name: OPENAI_API_KEY, value: x}]}, {name: proxy, env: [{name: OPENAI_API_KEY, value: "+canary+"}"), testConfig(t, "openai"),
			"spec.template.containers[name=proxy].env[name=OPENAI_API_KEY]"},
		{"an init container", doc("template: {initContainers", "{name: GH_TOKEN, value: "+canary+"}"), testConfig(t, "openai"), "spec.template.initContainers[name=main].env[name=GH_TOKEN]"},
		{"a worker", doc("worker: {containers", "{name: HF_TOKEN, value: "+canary+"}"), testConfig(t, "openai"), "spec.worker.containers[name=main].env[name=HF_TOKEN]"},
		{"a container without a name", doc("template: {containers", "{name: LOG_LEVEL, value: x}]}, {env: [{name: HF_TOKEN, value: "+canary+"}"), testConfig(t, "openai"),
			"spec.template.containers[1].env[name=HF_TOKEN]"},
		{"a literal through an alias", "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls, namespace: llm, annotations: {note: &key " + canary + "}}\nspec:\n  template: {containers: [{name: main, env: [{name: HF_TOKEN, value: *key}]}]}\n", testConfig(t, "openai"),
			"spec.template.containers[name=main].env[name=HF_TOKEN]"},
		{"an env list through an alias", "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: ls, namespace: llm}\nx-shared: &env [{name: HF_TOKEN, value: " + canary + "}]\nspec:\n  template: {containers: [{name: main, env: *env}]}\n", testConfig(t, "openai"),
			"spec.template.containers[name=main].env[name=HF_TOKEN]"},
		{"a reference to another variable", doc("template: {containers", "{name: HF_TOKEN, value: $(SHARED_TOKEN)}"), testConfig(t, "openai"), ""},
		{"an empty value", doc("template: {containers", "{name: HF_TOKEN, value: ''}"), testConfig(t, "openai"), ""},
		{"a Secret reference", doc("template: {containers", "{name: HF_TOKEN, valueFrom: {secretKeyRef: {name: hf, key: token}}}"), testConfig(t, "openai"), ""},
		{"no credential's name", doc("template: {containers", "{name: MAX_TOKENS, value: '4096'}, {name: LOG_LEVEL, value: debug}"), testConfig(t, "openai"), ""},
		{"a credentials file's path", doc("template: {containers", "{name: GOOGLE_APPLICATION_CREDENTIALS, value: /var/run/key.json}"), testConfig(t, "openai"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := yaml.MustParse(tc.doc)
			errs := Check(node, tc.cfg)
			if tc.errPath != "" {
				literal := slices.DeleteFunc(errs, func(p diag.Problem) bool { return !strings.Contains(p.Message, "holds a literal value") })
				require.Len(t, literal, 1, "%v", errs)
				require.Equal(t, tc.errPath, literal[0].Path)
				require.Contains(t, literal[0].Message, "valueFrom.secretKeyRef")
				require.NotContains(t, literal[0].Message, "canary")
				return
			}
			require.Empty(t, errs)
			out, err := Apply(node, tc.cfg)
			require.NoError(t, err)
			require.NotContains(t, node.MustString(), canary, "no literal credential in the output")
			require.NotContains(t, fmt.Sprint(out.Warnings), "canary")
		})
	}
}
