// Package providers is the registry of the remote inference providers of Llama Stack's
// starter distribution: llamastack/llama-stack v0.3.x llama_stack/distributions/starter/
// run.yaml, and opendatahub-io/ogx v1.3.0 src/ogx/distributions/starter/config.yaml. Each
// provider is one row of the table below, with the environment the distribution reads for
// it; where the two lines differ, an entry names the lines it belongs to. Adding a provider
// means adding a row.
package providers

import (
	"slices"
	"sort"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
)

// apiKey is the Secret key of a single-key provider's credential.
const apiKey = v1alpha1.DefaultSecretKey

// SecretEnv is an environment variable filled from a key of the provider's Secret.
type SecretEnv struct {
	// Env is the variable's name.
	Env string
	// Key is its default key in the Secret.
	Key string
	// Optional marks keys the Secret may lack (secretKeyRef optional: true), for providers
	// that accept one of several credentials.
	Optional bool
	// Lines are the server lines that read it; empty means every line.
	Lines []string
}

// SettingKind says how a plain setting's value is checked.
type SettingKind string

const (
	// Text is any string.
	Text SettingKind = "text"
	// URL is an http(s) URL; its port is opened in the NetworkPolicy's egress.
	URL SettingKind = "url"
	// Bool is true or false.
	Bool SettingKind = "bool"
	// Int is a positive integer.
	Int SettingKind = "int"
)

// Setting is a plain (non-secret) environment variable set from spec.settings.
type Setting struct {
	Env      string
	Kind     SettingKind
	Required bool
	// Lines are the server lines that read it; empty means every line.
	Lines []string
	// Suffix is what a URL must end with on the lines that read it (OGX's OpenAI-compatible
	// base URLs include /v1).
	Suffix string
}

// CredentialsFile is a credentials file mounted from the provider's Secret, with an
// environment variable pointing at it (Google's application default credentials).
type CredentialsFile struct {
	// Env is set to the file's path.
	Env string
	// Key is the default key in the Secret that holds the file.
	Key string
}

// Provider is one row of the registry.
type Provider struct {
	// Name is the registry name users write in spec.provider, and the starter
	// distribution's provider_id.
	Name string
	// DisplayName is the provider's name for people.
	DisplayName string
	// Secrets are the variables read from the provider's Secret.
	Secrets []SecretEnv
	// Credentials, when set, mounts a credentials file from the provider's Secret.
	Credentials *CredentialsFile
	// Settings are the plain settings the provider reads.
	Settings []Setting
	// DefaultModel is served when spec.model is not set; empty means spec.model is required
	// (the provider serves whatever model its server runs).
	DefaultModel string
	// DefaultModelContextWindow is DefaultModel's context window in tokens as the provider
	// documents it (the row cites where), for MaaS's model details; 0 when not documented.
	DefaultModelContextWindow int64
	// KnownModels are models known to be served; others are accepted with a warning.
	KnownModels []string
	// Lines are the server lines whose starter distribution has the provider; empty means
	// every line.
	Lines []string
	// Example is what examples/providers/<name>/ shows; go generate writes it. The providers
	// of the deploy overlays have walkthroughs instead.
	Example *Example
}

// Example is the data of a provider's example overlay.
type Example struct {
	// Note opens the kustomization: what to know of the provider.
	Note string
	// Model is the model to serve; empty means DefaultModel. ModelNote says why it is named.
	Model, ModelNote string
	// Settings are the example's plain settings, in order.
	Settings [][2]string
}

// registry is the table. Keep it sorted by Name.
var registry = []Provider{
	{
		Name: "anthropic", DisplayName: "Anthropic",
		Secrets:      []SecretEnv{{Env: "ANTHROPIC_API_KEY", Key: apiKey}},
		DefaultModel: "claude-3-5-sonnet-20241022",
		KnownModels: []string{
			"claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219",
			"claude-3-haiku-20240307", "claude-3-opus-20240229", "claude-opus-4-1-20250805",
			"claude-opus-4-20250514", "claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929",
		},
	},
	{
		Name: "azure", DisplayName: "Azure OpenAI",
		Secrets: []SecretEnv{{Env: "AZURE_API_KEY", Key: apiKey}},
		Settings: []Setting{
			{Env: "AZURE_API_BASE", Kind: URL, Required: true},
			{Env: "AZURE_API_VERSION", Kind: Text},
			{Env: "AZURE_API_TYPE", Kind: Text},
		},
		DefaultModel: "gpt-4o",
		KnownModels:  []string{"gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "o3-mini", "o4-mini"},
		Example: &Example{
			Note:     "Azure OpenAI: the deployment's endpoint goes in AZURE_API_BASE.",
			Settings: [][2]string{{"AZURE_API_BASE", "https://my-resource.openai.azure.com"}, {"AZURE_API_VERSION", "2024-10-21"}},
		},
	},
	{
		Name: "bedrock", DisplayName: "Amazon Bedrock",
		// Either the access key pair or a Bedrock API key (bearer token): all are optional
		// keys of one Secret.
		// OGX reads only a bearer token, under another name (config.yaml aws_bedrock_bearer_token).
		Secrets: []SecretEnv{
			{Env: "AWS_ACCESS_KEY_ID", Key: "aws-access-key-id", Optional: true, Lines: []string{"llama-stack"}},
			{Env: "AWS_SECRET_ACCESS_KEY", Key: "aws-secret-access-key", Optional: true, Lines: []string{"llama-stack"}},
			{Env: "AWS_BEARER_TOKEN_BEDROCK", Key: "aws-bearer-token-bedrock", Optional: true, Lines: []string{"llama-stack"}},
			{Env: "AWS_BEDROCK_BEARER_TOKEN", Key: "aws-bearer-token-bedrock", Lines: []string{"ogx"}},
		},
		Settings: []Setting{
			{Env: "AWS_DEFAULT_REGION", Kind: Text},
			{Env: "AWS_ROLE_ARN", Kind: Text, Lines: []string{"ogx"}},
		},
		DefaultModel: "meta.llama3-1-70b-instruct-v1:0",
		KnownModels: []string{
			"meta.llama3-1-405b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0",
			"meta.llama3-3-70b-instruct-v1:0",
		},
		Example: &Example{
			Note:     "Amazon Bedrock: on OGX the Secret holds a Bedrock API key, aws-bearer-token-bedrock; on Llama Stack 0.3.x, aws-access-key-id and aws-secret-access-key, or that key.",
			Settings: [][2]string{{"AWS_DEFAULT_REGION", "us-east-1"}},
		},
	},
	{
		Name: "cerebras", DisplayName: "Cerebras",
		Secrets:      []SecretEnv{{Env: "CEREBRAS_API_KEY", Key: apiKey}},
		DefaultModel: "llama-3.3-70b",
		KnownModels:  []string{"llama-3.3-70b", "llama3.1-8b"},
		Example: &Example{
			Note: "Cerebras.",
		},
	},
	{
		Name: "fireworks", DisplayName: "Fireworks AI",
		Secrets:      []SecretEnv{{Env: "FIREWORKS_API_KEY", Key: apiKey}},
		DefaultModel: "accounts/fireworks/models/llama-v3p3-70b-instruct",
		KnownModels: []string{
			"accounts/fireworks/models/llama-v3p1-405b-instruct", "accounts/fireworks/models/llama-v3p1-8b-instruct",
			"accounts/fireworks/models/llama-v3p3-70b-instruct",
		},
		Example: &Example{
			Note: "Fireworks AI.",
		},
	},
	{
		Name: "gemini", DisplayName: "Google Gemini",
		Secrets:      []SecretEnv{{Env: "GEMINI_API_KEY", Key: apiKey}},
		Settings:     []Setting{{Env: "GEMINI_AI_PROJECT", Kind: Text, Lines: []string{"ogx"}}},
		DefaultModel: "gemini-2.0-flash",
		// Input token limit 1,048,576: https://ai.google.dev/gemini-api/docs/models/gemini-2.0-flash
		DefaultModelContextWindow: 1_048_576,
		KnownModels: []string{
			"gemini-1.5-flash", "gemini-1.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-lite",
			"gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro",
		},
	},
	{
		Name: "groq", DisplayName: "Groq",
		Secrets:      []SecretEnv{{Env: "GROQ_API_KEY", Key: apiKey}},
		DefaultModel: "llama-3.3-70b-versatile",
		KnownModels:  []string{"llama-3.1-8b-instant", "llama-3.3-70b-versatile", "meta-llama/llama-4-scout-17b-16e-instruct"},
		Example: &Example{
			Note: "Groq.",
		},
	},
	{
		// OGX's starter added it (src/ogx/distributions/starter/config.yaml remote::meta,
		// base_url https://api.meta.ai/v1); it lists no default model.
		Name: "meta", DisplayName: "Meta Llama API",
		Secrets: []SecretEnv{{Env: "META_API_KEY", Key: apiKey}},
		Lines:   []string{"ogx"},
		Example: &Example{
			Note:      "Meta Llama API (OGX images only: the starter of OGX has it, Llama Stack 0.3.x does not).",
			Model:     "Llama-3.3-70B-Instruct",
			ModelNote: "The Meta Llama API lists no default model in OGX: name the one to serve.",
		},
	},
	{
		Name: "nvidia", DisplayName: "NVIDIA NIM",
		Secrets:      []SecretEnv{{Env: "NVIDIA_API_KEY", Key: apiKey}},
		Settings:     []Setting{{Env: "NVIDIA_BASE_URL", Kind: URL, Suffix: "/v1", Lines: []string{"ogx"}}, {Env: "NVIDIA_BASE_URL", Kind: URL, Lines: []string{"llama-stack"}}},
		DefaultModel: "meta/llama-3.3-70b-instruct",
		KnownModels:  []string{"meta/llama-3.1-405b-instruct", "meta/llama-3.1-8b-instruct", "meta/llama-3.3-70b-instruct"},
		Example: &Example{
			Note: "NVIDIA NIM (the hosted API; set NVIDIA_BASE_URL for a self-hosted NIM).",
		},
	},
	{
		Name: "ollama", DisplayName: "Ollama",
		Settings: []Setting{
			{Env: "OLLAMA_URL", Kind: URL, Required: true, Suffix: "/v1", Lines: []string{"ogx"}},
			{Env: "OLLAMA_URL", Kind: URL, Required: true, Lines: []string{"llama-stack"}},
		},
		DefaultModel: "llama3.2:3b",
		KnownModels:  []string{"llama3.1:8b", "llama3.2:1b", "llama3.2:3b", "llama3.3:70b"},
		Example: &Example{
			Note:     "Ollama in the cluster: no credentials.",
			Settings: [][2]string{{"OLLAMA_URL", "http://ollama.ollama.svc.cluster.local:11434/v1"}},
		},
	},
	{
		Name: "openai", DisplayName: "OpenAI",
		Secrets:      []SecretEnv{{Env: "OPENAI_API_KEY", Key: apiKey}},
		Settings:     []Setting{{Env: "OPENAI_BASE_URL", Kind: URL}},
		DefaultModel: "gpt-4o",
		KnownModels: []string{
			"gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
			"gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano", "o1", "o1-mini", "o3",
			"o3-mini", "o4-mini",
		},
	},
	{
		Name: "sambanova", DisplayName: "SambaNova",
		Secrets:      []SecretEnv{{Env: "SAMBANOVA_API_KEY", Key: apiKey}},
		DefaultModel: "Meta-Llama-3.3-70B-Instruct",
		KnownModels:  []string{"Meta-Llama-3.1-405B-Instruct", "Meta-Llama-3.1-8B-Instruct", "Meta-Llama-3.3-70B-Instruct"},
		Example: &Example{
			Note: "SambaNova.",
		},
	},
	{
		Name: "together", DisplayName: "Together AI",
		Secrets:      []SecretEnv{{Env: "TOGETHER_API_KEY", Key: apiKey}},
		DefaultModel: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
		KnownModels: []string{
			"meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
			"meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
		},
		Example: &Example{
			Note: "Together AI.",
		},
	},
	{
		Name: "vertexai", DisplayName: "Google Vertex AI",
		Credentials: &CredentialsFile{Env: "GOOGLE_APPLICATION_CREDENTIALS", Key: "service-account.json"},
		Settings: []Setting{
			{Env: "VERTEX_AI_PROJECT", Kind: Text, Required: true},
			{Env: "VERTEX_AI_LOCATION", Kind: Text},
		},
		DefaultModel: "gemini-2.0-flash",
		// Context window 1,048,576: https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/gemini/2-0-flash
		DefaultModelContextWindow: 1_048_576,
		KnownModels:               []string{"gemini-2.0-flash", "gemini-2.0-flash-lite", "gemini-2.5-flash", "gemini-2.5-pro"},
		Example: &Example{
			Note:     "Google Vertex AI: the Secret holds a service-account JSON under the key service-account.json, mounted as a file.",
			Settings: [][2]string{{"VERTEX_AI_PROJECT", "my-gcp-project"}, {"VERTEX_AI_LOCATION", "us-central1"}},
		},
	},
	{
		Name: "vllm", DisplayName: "vLLM",
		Secrets: []SecretEnv{{Env: "VLLM_API_TOKEN", Key: apiKey, Optional: true}},
		Settings: []Setting{
			{Env: "VLLM_URL", Kind: URL, Required: true},
			{Env: "VLLM_TLS_VERIFY", Kind: Bool},
			{Env: "VLLM_MAX_TOKENS", Kind: Int},
		},
		Example: &Example{
			Note:     "A vLLM server elsewhere in the cluster; its token, if any, is the Secret's api-key (optional).",
			Model:    "meta-llama/Llama-3.1-8B-Instruct",
			Settings: [][2]string{{"VLLM_URL", "http://vllm.models.svc.cluster.local:8000/v1"}, {"VLLM_MAX_TOKENS", "4096"}},
		},
	},
}

// ForLine returns the provider as the server line reads it: only the Secret keys and
// settings of that line.
func (p Provider) ForLine(line string) Provider {
	onLine := func(lines []string) bool { return len(lines) == 0 || slices.Contains(lines, line) }
	p.Secrets = slices.DeleteFunc(slices.Clone(p.Secrets), func(s SecretEnv) bool { return !onLine(s.Lines) })
	p.Settings = slices.DeleteFunc(slices.Clone(p.Settings), func(s Setting) bool { return !onLine(s.Lines) })
	return p
}

// OnLine reports whether the line's starter distribution has the provider.
func (p Provider) OnLine(line string) bool {
	return len(p.Lines) == 0 || slices.Contains(p.Lines, line)
}

// Lookup returns the provider registered under name.
func Lookup(name string) (Provider, bool) {
	for _, p := range registry {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// Names returns the registered provider names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for _, p := range registry {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}

// All returns a copy of the registry, sorted by name.
func All() []Provider {
	all := slices.Clone(registry)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// KnowsModel reports whether model is among the provider's known models.
func (p Provider) KnowsModel(model string) bool {
	return slices.Contains(p.KnownModels, model)
}

// NeedsSecret reports whether the provider reads anything from a Secret.
func (p Provider) NeedsSecret() bool {
	return len(p.Secrets) > 0 || p.Credentials != nil
}

// SecretEnvNames are the variables the provider reads from its Secret, credentials included.
func (p Provider) SecretEnvNames() []string {
	var names []string
	for _, s := range p.Secrets {
		names = append(names, s.Env)
	}
	if p.Credentials != nil {
		names = append(names, p.Credentials.Env)
	}
	return names
}

// Setting returns the provider's plain setting named env.
func (p Provider) Setting(env string) (Setting, bool) {
	for _, s := range p.Settings {
		if s.Env == env {
			return s, true
		}
	}
	return Setting{}, false
}

// SettingNames are the provider's plain settings, in registry order, each once.
func (p Provider) SettingNames() []string {
	var names []string
	for _, s := range p.Settings {
		if !slices.Contains(names, s.Env) {
			names = append(names, s.Env)
		}
	}
	return names
}

// BySecretEnv returns the provider that reads env var name from its Secret.
func BySecretEnv(name string) (Provider, bool) {
	for _, p := range registry {
		if slices.Contains(p.SecretEnvNames(), name) {
			return p, true
		}
	}
	return Provider{}, false
}
