package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// boundedInput is a valid ResourceList with a placeholder ($FIELD) in each field a user sets;
// TestMessagesAreBounded puts a 200,000-character value into one field at a time.
const boundedInput = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: "$SECRETOBJECT", namespace: llm}
  stringData: {"$SECRETOBJECTKEY": "changeme"}
- apiVersion: serving.kserve.io/v1alpha1
  kind: LLMInferenceService
  metadata:
    name: "$NAME"
    namespace: "$NAMESPACE"
    labels: {"$LABELKEY": "$LABELVALUE", provider: "$PROVIDERLABEL"}
    annotations: {alpha.maas.opendatahub.io/tiers: '$TIERSANNOTATION'}
  spec:
    model: {name: "$BASEMODEL", uri: "$BASEURI"}
    router: {gateway: {refs: [{name: "$REFNAME", namespace: "$REFNAMESPACE"}]}}
    template:
      containers:
      - name: main
        image: "$BASEIMAGE"
        env:
        - {name: "$ENVNAME", value: "$ENVVALUE"}
        - {name: OPENAI_BASE_URL, valueFrom: {configMapKeyRef: {name: "$CONFIGMAPREF", key: url}}}
        volumeMounts:
        - {name: "$VOLUME", mountPath: "$MOUNTPATH"}
        readinessProbe: {httpGet: {path: "$PROBEPATH", port: 8000}}
      - {name: "$CONTAINER", image: busybox}
functionConfig:
  apiVersion: llamastack.opendatahub.io/v1alpha1
  kind: LlamastackIntegration
  metadata: {name: "$CONFIGNAME"}
  spec:
    provider: "$PROVIDER"
    model: "$MODEL"
    apiKeySecret: {name: "$SECRET", key: "$SECRETKEY"}
    gateway: {name: "$GATEWAY", namespace: "$GATEWAYNAMESPACE"}
    tiers: ["$TIER"]
    target: {name: "$TARGETNAME", namespace: "$TARGETNAMESPACE"}
    image: "$IMAGE"
    modelURI: "$MODELURI"
    settings: {OPENAI_BASE_URL: "$SETTING"}
    kserveVersion: "$KSERVEVERSION"
    imageLine: "$IMAGELINE"
    networkPolicy: {maasAPINamespace: "$MAASAPINAMESPACE"}
    maas:
      modelRef: {displayName: "$DISPLAYNAME", description: "$DESCRIPTION"}
      authPolicy: {namespace: "$AUTHNAMESPACE", groups: ["$GROUP"], users: ["$USER"]}
      subscription: {namespace: "$SUBSCRIPTIONNAMESPACE", ownerGroups: ["$GROUP"], tokenRateLimits: [{limit: 1000, window: "$WINDOW"}]}
    "$UNKNOWNFIELD": false
`

// boundedDefaults are the placeholders' values when another field holds the long value.
var boundedDefaults = map[string]string{
	"SECRETOBJECT": "other-secret", "SECRETOBJECTKEY": "api-key", "NAME": "llamastack", "NAMESPACE": "llm",
	"LABELKEY": "team", "LABELVALUE": "ml", "PROVIDERLABEL": "openai", "TIERSANNOTATION": `["free"]`,
	"BASEMODEL": "gpt-4o", "BASEURI": "hf://x/y", "REFNAME": "maas-default-gateway", "REFNAMESPACE": "openshift-ingress",
	"BASEIMAGE": "docker.io/llamastack/distribution-starter:0.3.0", "ENVNAME": "LOG_LEVEL", "ENVVALUE": "info",
	"CONFIGMAPREF": "urls", "VOLUME": "cache", "MOUNTPATH": "/cache", "PROBEPATH": "/v1/health", "CONTAINER": "sidecar",
	"CONFIGNAME": "openai", "PROVIDER": "openai", "MODEL": "gpt-4o", "SECRET": "openai-key", "SECRETKEY": "api-key",
	"GATEWAY": "maas-default-gateway", "GATEWAYNAMESPACE": "openshift-ingress", "TIER": "free",
	"TARGETNAME": "llamastack", "TARGETNAMESPACE": "llm", "IMAGE": "docker.io/llamastack/distribution-starter:0.3.0",
	"MODELURI": "hf://x/y", "SETTING": "https://api.example.com/v1",
	"UNKNOWNFIELD": "quiet", "KSERVEVERSION": "v0.20", "IMAGELINE": "llama-stack", "MAASAPINAMESPACE": "opendatahub",
	"DISPLAYNAME": "GPT-4o", "DESCRIPTION": "a model", "AUTHNAMESPACE": "models-as-a-service", "GROUP": "team", "USER": "alice",
	"SUBSCRIPTIONNAMESPACE": "models-as-a-service", "WINDOW": "1h",
}

// boundedTogether are the fields that hold the long value together with another, so that
// the run gets past the target's selection.
var boundedTogether = map[string]string{"NAME": "TARGETNAME", "NAMESPACE": "TARGETNAMESPACE"}

// maxEcho is the most of one value a line may show: yamlnode.Printable's bound on a name or
// path (values inside messages are cut shorter, by yamlnode.Truncate).
const maxEcho = 256

// TestMessagesAreBounded gives each user-settable field, one at a time, a 200,000-character
// value (several shapes of it: plain, in a URL, in an image, as a credential), and checks
// that no stderr line and no result message on stdout is longer than 4 KB or shows more than
// maxEcho characters of the value, whether the run succeeds or fails.
func TestMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("a", 200_000)
	shapes := map[string]string{
		"IMAGE": "docker.io/" + long + ":1", "BASEIMAGE": "docker.io/" + long + ":1",
		"MODELURI": "hf://" + long, "BASEURI": "hf://" + long, "SETTING": "https://" + long + "/v1",
		"MOUNTPATH": "/" + long, "PROBEPATH": "/" + long, "TIERSANNOTATION": `["` + long + `"]`,
		"ENVNAME": "A" + strings.ToUpper(long) + "_TOKEN",
	}
	for field := range boundedDefaults {
		values := []string{long, "sk-" + long}
		if shaped, ok := shapes[field]; ok {
			values = append(values, shaped)
		}
		for _, value := range values {
			t.Run(field+"/"+value[:3], func(t *testing.T) {
				input := boundedInput
				for k, v := range boundedDefaults {
					if k == field || k == boundedTogether[field] {
						v = value
					}
					input = strings.ReplaceAll(input, "$"+k+`"`, v+`"`)
					input = strings.ReplaceAll(input, "$"+k+`'`, v+`'`)
				}
				requireBounded(t, input)
			})
		}
	}
	for name, fc := range map[string]string{
		"ConfigMap key":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {provider: openai, " + long + ": x}\n",
		"ConfigMap value": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {provider: openai, model: " + long + ", skipModelDownload: " + long + "}\n",
		"providers":       "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {providers: [{provider: openai, model: " + long + "}, {provider: " + long + "}]}\n",
		"apiVersion":      "apiVersion: llamastack.opendatahub.io/" + long + "\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: openai}\n",
		"setting name":    "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: openai, settings: {OPENAI_" + long + ": x}}\n",
		"kind":            "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: " + long + "\nmetadata: {name: x}\nspec: {provider: openai}\n",
	} {
		t.Run(name, func(t *testing.T) { requireBounded(t, resourceList(service, fc)) })
	}
}

func requireBounded(t *testing.T, input string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	run(nil, strings.NewReader(input), &stdout, &stderr)
	tooMuch := strings.Repeat("a", maxEcho+1)
	for _, line := range strings.Split(stderr.String(), "\n") {
		require.LessOrEqual(t, len(line), 4096, "stderr line: %.300s", line)
		require.NotContains(t, strings.ToLower(line), tooMuch, "stderr line: %.300s", line)
	}
	if stdout.Len() == 0 {
		return
	}
	rl, err := yaml.Parse(stdout.String())
	require.NoError(t, err)
	var results framework.Results
	if r := rl.Field("results"); r != nil {
		require.NoError(t, r.Value.YNode().Decode(&results))
	}
	for _, r := range results {
		require.LessOrEqual(t, len(r.Message), 4096, "result: %.300s", r.Message)
		require.NotContains(t, strings.ToLower(r.Message), tooMuch, "result: %.300s", r.Message)
	}
}
