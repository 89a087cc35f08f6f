package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/fn/providers"

	"github.com/llamastack-integration/llamastack-integration/fn/diag"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func load(t *testing.T, doc string) (*Config, []diag.Problem, []diag.Problem) {
	t.Helper()
	cfg, _, errs, warnings := Load(yaml.MustParse(doc))
	return cfg, errs, warnings
}

const header = "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: t}\n"

func TestDefaults(t *testing.T) {
	cfg, errs, warnings := load(t, header+"spec: {provider: gemini}\n")
	require.Empty(t, errs)
	require.Empty(t, warnings)
	require.Len(t, cfg.Providers, 1)
	require.Equal(t, "gemini", cfg.Providers[0].Provider.Name)
	require.Equal(t, "gemini-2.0-flash", cfg.Model())
	require.Equal(t, "gemini-gemini-api-key", cfg.Providers[0].SecretName)
	require.Equal(t, map[string]string{"GEMINI_API_KEY": "api-key"}, cfg.Providers[0].SecretKeys)
	require.Empty(t, cfg.Providers[0].Settings)
	require.Nil(t, cfg.MaaS, "no MaaS objects unless asked for")
	require.Nil(t, cfg.NetworkPolicy)
	require.Equal(t, "maas-default-gateway", cfg.GatewayName)
	require.Equal(t, "openshift-ingress", cfg.GatewayNamespace)
	require.False(t, cfg.SetTiers, "no tiers field means no annotation")
	require.True(t, cfg.SkipModelDownload, "no model download by default")
	require.True(t, cfg.TLS, "HTTPS by default, as on Open Data Hub")
	require.Equal(t, "v0.20", cfg.KServe.Version)
	require.Empty(t, cfg.Image, "empty keeps the base's image")
}

func TestTiersSemantics(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		set        bool
		tiers      []string
	}{
		{"absent", "provider: gemini", false, nil},
		{"null", "provider: gemini\n  tiers: null", false, nil},
		{"empty means all tiers", "provider: gemini\n  tiers: []", true, []string{}},
		{"listed", "provider: gemini\n  tiers: [free, premium]", true, []string{"free", "premium"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs, _ := load(t, header+"spec:\n  "+tc.spec+"\n")
			require.Empty(t, errs)
			require.Equal(t, tc.set, cfg.SetTiers)
			if tc.set {
				require.Equal(t, tc.tiers, cfg.Tiers)
			}
		})
	}
}

func TestConfigMapMatchesTypedConfig(t *testing.T) {
	typed, errs, _ := load(t, header+`spec:
  provider: openai
  model: gpt-4o
  apiKeySecret: {name: k, key: token}
  settings: {OPENAI_BASE_URL: "https://proxy.example.com/v1"}
  gateway: {name: gw, namespace: gws}
  tiers: [free, premium]
  target: {name: ls, namespace: llm}
  image: quay.io/x/ls:1.0
  modelURI: pvc://models/x
  skipModelDownload: true
  kserveVersion: v0.19.0
  tls: false
`)
	require.Empty(t, errs)
	fromMap, errs, _ := load(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: fn}
data:
  provider: openai
  model: gpt-4o
  apiKeySecret.name: k
  apiKeySecret.key: token
  settings.OPENAI_BASE_URL: https://proxy.example.com/v1
  gateway.name: gw
  gateway.namespace: gws
  tiers: '["free", "premium"]'
  target.name: ls
  target.namespace: llm
  image: quay.io/x/ls:1.0
  modelURI: pvc://models/x
  skipModelDownload: "true"
  kserveVersion: v0.19.0
  tls: "false"
`)
	require.Empty(t, errs)
	// What each was resolved from differs in form (and in its paths' prefix) only.
	typed.spec, typed.prefix, fromMap.spec, fromMap.prefix = v1alpha1.Spec{}, "", v1alpha1.Spec{}, ""
	require.Equal(t, typed, fromMap)
	require.Equal(t, map[string]string{"OPENAI_BASE_URL": "https://proxy.example.com/v1"}, fromMap.Providers[0].Settings)

	_, errs, _ = load(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fn}\ndata:\n  provider: openai\n  settings.: x\n  settings.A.B: y\n")
	require.Len(t, errs, 2, "settings keys need one variable name: %v", errs)
}

// TestConfigMapValidatesLikeTheTypedForm: the same mistake gives the same error in both
// forms, at the same path but for its prefix.
func TestConfigMapValidatesLikeTheTypedForm(t *testing.T) {
	for _, tc := range []struct{ typed, configMap, path string }{
		{`tiers: [free, "", gold]`, `tiers: "free,,gold"`, "tiers[1]"},
		{`tiers: [Free]`, `tiers: Free`, "tiers[0]"},
		{`runAsUser: 0`, `runAsUser: "0"`, "runAsUser"},
		{`gateway: {namespace: Bad_NS}`, `gateway.namespace: Bad_NS`, "gateway.namespace"},
		{`target: {name: Bad_Name}`, `target.name: Bad_Name`, "target.name"},
		{`kserveVersion: v9`, `kserveVersion: v9`, "kserveVersion"},
		{"skipModelDownload: true\n  kserveVersion: v0.16", "skipModelDownload: \"true\"\n  kserveVersion: v0.16", "skipModelDownload"},
		{`settings: {OLLAMA_URL: "ollama:11434"}`, `settings.OLLAMA_URL: "ollama:11434"`, "settings.OLLAMA_URL"},
	} {
		_, typedErrs, _ := load(t, header+"spec:\n  provider: ollama\n  "+tc.typed+"\n")
		_, mapErrs, _ := load(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  provider: ollama\n  "+tc.configMap+"\n")
		if !strings.HasPrefix(tc.path, "settings") {
			typedErrs, mapErrs = withoutPath(typedErrs, "spec.settings.OLLAMA_URL"), withoutPath(mapErrs, "data.settings.OLLAMA_URL")
		}
		require.Len(t, typedErrs, 1, "%s: %v", tc.typed, typedErrs)
		require.Len(t, mapErrs, 1, "%s: %v", tc.configMap, mapErrs)
		require.Equal(t, "spec."+tc.path, typedErrs[0].Path)
		require.Equal(t, "data."+tc.path, mapErrs[0].Path)
		require.Equal(t, typedErrs[0].Message, mapErrs[0].Message)
	}
}

// withoutPath drops the problems at path (ollama's required URL, when a case leaves it out).
func withoutPath(problems []diag.Problem, path string) []diag.Problem {
	return slices.DeleteFunc(problems, func(p diag.Problem) bool { return p.Path == path })
}

func TestConfigMapTierForms(t *testing.T) {
	for value, want := range map[string][]string{
		`""`:             {},
		`"[]"`:           {},
		`"free"`:         {"free"},
		`"free, gold"`:   {"free", "gold"},
		`'["a","b"]'`:    {"a", "b"},
		`" free , gold"`: {"free", "gold"},
	} {
		cfg, errs, _ := load(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  provider: gemini\n  tiers: "+value+"\n")
		require.Empty(t, errs, value)
		require.True(t, cfg.SetTiers, value)
		require.Equal(t, want, cfg.Tiers, value)
	}
}

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		want       []diag.Problem
	}{
		{"missing provider", "model: gpt-4o", []diag.Problem{{Path: "spec.provider", Message: "is required; set it to one of: " + allProviders}}},
		{"required setting", "provider: azure", []diag.Problem{{Path: "spec.settings.AZURE_API_BASE", Message: "is required for azure; set it under settings"}}},
		{"unknown setting", "provider: openai\n  settings: {OPENAI_BASE: 'https://x'}", []diag.Problem{{Path: "spec.settings.OPENAI_BASE", Message: "is not a setting of openai; valid settings: OPENAI_BASE_URL"}}},
		{"setting on a provider without any", "provider: groq\n  settings: {X: y}", []diag.Problem{{Path: "spec.settings.X", Message: "groq takes no settings; remove it"}}},
		{"credential as a setting", "provider: vllm\n  model: m\n  settings: {VLLM_URL: 'http://v:8000', VLLM_API_TOKEN: t}", []diag.Problem{{Path: "spec.settings.VLLM_API_TOKEN", Message: "is a credential; put it in the Secret named by apiKeySecret, never in the spec", Redact: true}}},
		{"misspelt setting", "provider: ollama\n  settings: {OLAMA_URL: 'http://o:11434'}", []diag.Problem{
			{Path: "spec.settings.OLAMA_URL", Message: `is not a setting of ollama (did you mean "OLLAMA_URL"?); valid settings: OLLAMA_URL`},
			{Path: "spec.settings.OLLAMA_URL", Message: "is required for ollama; set it under settings"}}},
		{"url setting", "provider: ollama\n  settings: {OLLAMA_URL: 'ollama:11434'}", []diag.Problem{{Path: "spec.settings.OLLAMA_URL", Message: `"ollama:11434" is not an http(s) URL; give one such as https://example.com/v1`}}},
		{"url with a password", "provider: ollama\n  settings: {OLLAMA_URL: 'http://admin:s3cret-canary@ollama:11434/v1'}", []diag.Problem{{Path: "spec.settings.OLLAMA_URL", Message: "carries a user name or password (https://user:password@host); never put credentials in the spec: remove them (http://ollama:11434/v1) and put the key in the Secret named by apiKeySecret", Redact: true}}},
		{"url port out of range", "provider: ollama\n  settings: {OLLAMA_URL: 'http://ollama:65536/v1'}", []diag.Problem{{Path: "spec.settings.OLLAMA_URL", Message: `"http://ollama:65536/v1" has the port 65536; use a port from 1 to 65535`}}},
		{"url without a host", "provider: ollama\n  settings: {OLLAMA_URL: 'http://:8080/v1'}", []diag.Problem{{Path: "spec.settings.OLLAMA_URL", Message: `"http://:8080/v1" is not an http(s) URL; give one such as https://example.com/v1`}}},
		{"int setting", "provider: vllm\n  model: m\n  settings: {VLLM_URL: 'http://v:8000', VLLM_MAX_TOKENS: '0'}", []diag.Problem{{Path: "spec.settings.VLLM_MAX_TOKENS", Message: `must be a positive whole number, not "0"`}}},
		{"model required", "provider: vllm\n  settings: {VLLM_URL: 'http://v:8000'}", []diag.Problem{{Path: "spec.model", Message: "is required for vllm, which serves whatever model its server runs; give that model's name"}}},
		{"no secret for ollama", "provider: ollama\n  apiKeySecret: {name: x}\n  settings: {OLLAMA_URL: 'http://o:11434'}", []diag.Problem{{Path: "spec.apiKeySecret", Message: "ollama reads no credentials; remove apiKeySecret"}}},
		{"one key for several", "provider: bedrock\n  imageLine: llama-stack\n  apiKeySecret: {key: k}", []diag.Problem{{Path: "spec.apiKeySecret.key", Message: "bedrock reads several keys of its Secret (aws-access-key-id, aws-secret-access-key, aws-bearer-token-bedrock); name them so in the Secret and remove key"}}},
		{"both forms", "provider: openai\n  providers: [{provider: gemini}]", []diag.Problem{{Path: "spec.providers", Message: "cannot be combined with provider, model, apiKeySecret, settings or identity; move them into the providers list, or drop providers"}}},
		{"empty providers", "providers: []", []diag.Problem{{Path: "spec.providers", Message: "is empty; list at least one provider, or use provider instead"}}},
		{"duplicate providers", "providers: [{provider: gemini}, {provider: gemini}]", []diag.Problem{{Path: "spec.providers[1].provider", Message: `"gemini" is listed twice; list each provider once`}}},
		{"maas needs modelRef", "provider: openai\n  maas: {authPolicy: {groups: [g]}}", []diag.Problem{{Path: "spec.maas.modelRef", Message: "is required with authPolicy or subscription, which refer to the MaaSModelRef; add modelRef: {}"}}},
		{"maas empty", "provider: openai\n  maas: {}", []diag.Problem{{Path: "spec.maas", Message: "is empty; set modelRef: {} (and optionally authPolicy and subscription), or remove maas"}}},
		{"subscription limits", "provider: openai\n  maas: {modelRef: {}, subscription: {ownerGroups: [g], tokenRateLimits: [{limit: 0, window: 90d}]}}", []diag.Problem{
			{Path: "spec.maas.subscription.tokenRateLimits[0].limit", Message: "is 0; use 1 to 1000000000 tokens"},
			{Path: "spec.maas.subscription.tokenRateLimits[0].window", Message: `"90d" is not a window; use 1 to 9999 followed by s, m or h, for example 1h`}}},
		{"auth policy subjects", "provider: openai\n  maas: {modelRef: {}, authPolicy: {}}", []diag.Problem{{Path: "spec.maas.authPolicy", Message: "needs at least one of groups or users: who may use the model"}}},
		{"limit type", "provider: openai\n  maas: {modelRef: {}, subscription: {ownerGroups: [g], tokenRateLimits: [{limit: many, window: 1h}]}}", []diag.Problem{{Path: "spec.maas.subscription.tokenRateLimits[0].limit", Message: `must be a whole number, not the string "many"`}}},
		{"model type", "provider: openai\n  model: 4", []diag.Problem{{Path: "spec.model", Message: "must be a string, not the number 4 (quote it if you meant the text)"}}},
		{"bool type", "provider: openai\n  skipModelDownload: \"yes\"", []diag.Problem{{Path: "spec.skipModelDownload", Message: `must be true or false, not the string "yes"`}}},
		{"duplicate key", "provider: openai\n  provider: gemini", []diag.Problem{{Path: "spec.provider", Message: "is set twice; keep one"}}},
		{"secret too long", "provider: openai\n  apiKeySecret: {name: " + string(make([]byte, 0)) + repeat("a", 254) + "}",
			[]diag.Problem{{Path: "spec.apiKeySecret.name", Message: `"` + repeat("a", 64) + `..." is 254 characters; a Secret name is a DNS subdomain of at most 253`}}},
		{"tier duplicate", "provider: openai\n  tiers: [free, free]", []diag.Problem{{Path: "spec.tiers[1]", Message: `tier "free" is listed twice; list each tier once`}}},
		{"empty tier", "provider: openai\n  tiers: ['']", []diag.Problem{{Path: "spec.tiers[0]", Message: "must not be empty; give a tier name"}}},
		{"unknown KServe release", "provider: openai\n  kserveVersion: v0.15", []diag.Problem{{Path: "spec.kserveVersion", Message: `"v0.15" is not a KServe release this function knows; use one of v0.16, v0.17, v0.18, v0.19, v0.20 (the first with LLMInferenceService is v0.16)`}}},
		{"plain HTTP where KServe routes HTTPS", "provider: openai\n  kserveVersion: v0.17\n  tls: false", []diag.Problem{{Path: "spec.tls", Message: "is false, but KServe v0.17 always routes HTTPS to the workload (its Service's appProtocol is https); remove tls"}}},
		{"no download switch on v0.16", "provider: openai\n  kserveVersion: v0.16\n  skipModelDownload: true", []diag.Problem{{Path: "spec.skipModelDownload", Message: "KServe v0.16 has no spec.storageInitializer, so its API server would reject the output; remove skipModelDownload (the function points the model URI at an empty PVC instead)"}}},
		{"provider of the other line", "provider: meta\n  model: m\n  imageLine: llama-stack", []diag.Problem{{Path: "spec.provider", Message: "meta is a provider of the ogx line only, and the image is of the llama-stack line; use an image of the ogx line (spec.image)"}}},
		{"unknown line", "provider: openai\n  imageLine: llama", []diag.Problem{{Path: "spec.imageLine", Message: `"llama" is not a server line; use one of llama-stack, llama-stack-0.7, odh-llama-stack, ogx, odh-ogx`}}},
		{"provider the distribution does not ship", "provider: anthropic\n  imageLine: odh-llama-stack", []diag.Problem{{Path: "spec.provider", Message: "the odh-llama-stack line (Open Data Hub Llama Stack 0.7 distribution) does not ship anthropic: its image's configuration has only azure, bedrock, openai, vertexai, vllm; use a starter image (spec.image) for anthropic"}}},
		{"postgres on a starter", "provider: openai\n  image: docker.io/ogxai/distribution-starter:1.3.0\n  storage: {postgres: {host: pg, database: ls, user: ls, passwordSecret: {name: pg}}}", []diag.Problem{{Path: "spec.storage.postgres", Message: "the ogx line (OGX 1.x starter) does not carry PostgreSQL's drivers in its image, so its state can only be SQLite on the data volume; use an image of the odh-llama-stack or odh-ogx line, or remove storage.postgres"}}},
		{"postgres fields", "provider: openai\n  imageLine: odh-ogx\n  storage: {postgres: {host: 'pg:5432', port: 70000, database: '1db', passwordSecret: {name: PG, key: 'a b'}, sslMode: verify-full}}", []diag.Problem{
			{Path: "spec.storage.postgres.host", Message: `"pg:5432" is not a host name or IP address; give the host alone, without scheme, port or path (the port goes in port)`},
			{Path: "spec.storage.postgres.port", Message: "is 70000; give a TCP port from 1 to 65535 (PostgreSQL's is 5432)"},
			{Path: "spec.storage.postgres.database", Message: `"1db" is not a database name the server can use; use letters, digits, '_', '$' and '-' (at most 63), starting with a letter or '_'`},
			{Path: "spec.storage.postgres.user", Message: "is required; give the role's name"},
			{Path: "spec.storage.postgres.passwordSecret.name", Message: `"PG" is not a valid Secret name; use a DNS subdomain: lower-case letters, digits and '-' and '.', starting and ending with a letter or digit`},
			{Path: "spec.storage.postgres.passwordSecret.key", Message: `"a b" is not a valid Secret key; use letters, digits, '-', '_' and '.' only (at most 253)`},
			{Path: "spec.storage.postgres.caSecret", Message: "is required with sslMode verify-full: the server's certificate is checked against this CA; name the Secret that holds it (key ca.crt)"}}},
		{"postgres sslmode", "provider: openai\n  imageLine: odh-ogx\n  storage: {postgres: {host: pg, database: ls, user: ls, passwordSecret: {name: pg}, sslMode: on}}", []diag.Problem{{Path: "spec.storage.postgres.sslMode", Message: `"on" is not an sslmode; use disable, allow, prefer, require, verify-ca or verify-full`}}},
		{"root user", "provider: openai\n  runAsUser: 0", []diag.Problem{{Path: "spec.runAsUser", Message: "is 0; give a non-root UID from 1 to 2147483647, for example 1001"}}},
		{"setting of the other line", "provider: bedrock\n  image: docker.io/llamastack/distribution-starter:0.3.5\n  settings: {AWS_ROLE_ARN: arn}", []diag.Problem{{Path: "spec.settings.AWS_ROLE_ARN", Message: "is not a setting of bedrock; valid settings: AWS_DEFAULT_REGION"}}},
		{"a key pasted as the Secret's name", "provider: openai\n  apiKeySecret: {name: sk-proj-AbCdEf0123456789canary}", []diag.Problem{{Path: "spec.apiKeySecret.name", Message: "is not a valid Secret name, and it looks like a credential (30 characters, not repeated here); put the key in the Secret and give the Secret's name here. Rotate the key if this file was shared", Redact: true}}},
		{"target namespace", "provider: openai\n  target: {namespace: LLM}", []diag.Problem{{Path: "spec.target.namespace", Message: `"LLM" is not a valid namespace name; use a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, _ := load(t, header+"spec:\n  "+tc.spec+"\n")
			require.Equal(t, tc.want, errs)
		})
	}
}

// TestLines: the server line comes from spec.imageLine, else from spec.image's repository,
// else from the default image; WithLine resolves the same spec for another line.
func TestLines(t *testing.T) {
	for spec, want := range map[string]string{
		"provider: openai": "ogx",
		"provider: openai\n  image: docker.io/llamastack/distribution-starter:0.3.5": "llama-stack",
		"provider: openai\n  image: llamastack/distribution-starter@sha256:abc":      "llama-stack",
		"provider: openai\n  image: quay.io/me/ls:1\n  imageLine: llama-stack":       "llama-stack",
		"provider: openai\n  image: quay.io/me/ls:1":                                 "ogx",
	} {
		cfg, errs, _ := load(t, header+"spec:\n  "+spec+"\n")
		require.Empty(t, errs, spec)
		require.Equal(t, want, cfg.Line.Name, spec)
	}
	cfg, errs, _ := load(t, header+"spec: {provider: bedrock}\n")
	require.Empty(t, errs)
	require.Equal(t, []string{"AWS_BEDROCK_BEARER_TOKEN"}, cfg.Providers[0].Provider.SecretEnvNames())
	legacy, errs, _ := cfg.WithLine("llama-stack")
	require.Empty(t, errs)
	require.Equal(t, "llama-stack", legacy.Line.Name)
	require.True(t, legacy.LineFromImage)
	require.Equal(t, []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_BEARER_TOKEN_BEDROCK"}, legacy.Providers[0].Provider.SecretEnvNames())
	_, errs, _ = load(t, header+"spec:\n  provider: ollama\n  settings: {OLLAMA_URL: 'http://[fd00::1]:11434/v1'}\n")
	require.Empty(t, errs, "an IPv6 literal is a host")
	// A config whose line a service's image decides is checked for that line once.
	checked, _, _ := cfg.WithLine("ogx")
	require.NotSame(t, cfg, checked)
	same, _, _ := checked.WithLine("ogx")
	require.Same(t, checked, same)

	// OGX's OpenAI-compatible base URLs include /v1 (starter config.yaml OLLAMA_URL, NVIDIA_BASE_URL).
	_, _, warnings := load(t, header+"spec:\n  provider: ollama\n  settings: {OLLAMA_URL: 'http://ollama:11434'}\n")
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0].Message, `"http://ollama:11434" does not end in /v1, which the ogx line's starter distribution expects`)
	_, _, warnings = load(t, header+"spec:\n  provider: ollama\n  imageLine: llama-stack\n  settings: {OLLAMA_URL: 'http://ollama:11434'}\n")
	require.Empty(t, warnings)
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct{ spec, path, contains string }{
		{"model: gpt-99", "spec.model", `model "gpt-99" is not among the OpenAI models`},
		{"image: quay.io/x/llama-stack:latest", "spec.image", "is not pinned"},
		{"image: quay.io/x/llama-stack", "spec.image", "is not pinned"},
		{"image: localhost:5000/llama-stack", "spec.image", "is not pinned"},
		{"skipModelDownload: false", "spec.skipModelDownload", "the placeholder URI does not exist"},
		{"kserveVersion: v0.16\n  modelURI: hf://org/model", "spec.modelURI", `KServe v0.16 downloads hf://org/model with an init container that has no securityContext`},
	} {
		cfg, errs, warnings := load(t, header+"spec:\n  provider: openai\n  "+tc.spec+"\n")
		require.Empty(t, errs)
		require.NotNil(t, cfg)
		require.Len(t, warnings, 1, tc.spec)
		require.Equal(t, tc.path, warnings[0].Path)
		require.Contains(t, warnings[0].Message, tc.contains)
	}
	for _, pinned := range []string{"quay.io/x/ls:0.3.0", "localhost:5000/ls:1", "quay.io/x/ls@sha256:abc"} {
		_, _, warnings := load(t, header+"spec:\n  provider: openai\n  image: "+pinned+"\n")
		require.Empty(t, warnings, pinned)
	}
}

var allProviders = strings.Join(providers.Names(), ", ")

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
