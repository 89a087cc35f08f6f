package providers

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRegistryRows checks every row is complete and consistent, so a new provider is one
// correct row.
func TestRegistryRows(t *testing.T) {
	envName := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	secretKey := regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	dnsLabel := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	seenEnv := map[string]string{}
	names := Names()
	require.True(t, sort.StringsAreSorted(names))
	for i, p := range registry {
		if i > 0 {
			require.Less(t, registry[i-1].Name, p.Name, "the table is sorted by name")
		}
		require.Regexp(t, dnsLabel, p.Name, "a provider name is used in Secret names")
		require.NotEmpty(t, p.DisplayName)
		var envs []string
		envs = append(envs, p.SecretEnvNames()...)
		envs = append(envs, p.SettingNames()...)
		slices.Sort(envs)
		for _, env := range slices.Compact(envs) {
			require.Regexp(t, envName, env)
			require.Empty(t, seenEnv[env], "%s is read by both %s and %s", env, seenEnv[env], p.Name)
			seenEnv[env] = p.Name
		}
		for _, s := range p.Secrets {
			require.Regexp(t, secretKey, s.Key)
		}
		for _, s := range p.Settings {
			require.Contains(t, []SettingKind{Text, URL, Bool, Int}, s.Kind, "%s.%s has a kind", p.Name, s.Env)
		}
		if p.DefaultModel != "" {
			require.True(t, p.KnowsModel(p.DefaultModel), "%s's default model is among its known models", p.Name)
		}
		require.True(t, sort.StringsAreSorted(p.KnownModels), "%s's models are sorted", p.Name)
		found, ok := Lookup(p.Name)
		require.True(t, ok)
		require.Equal(t, p.Name, found.Name)
		for _, env := range p.SecretEnvNames() {
			owner, ok := BySecretEnv(env)
			require.True(t, ok)
			require.Equal(t, p.Name, owner.Name)
		}
	}
}

// TestStarterDistributionProviders pins the registry to each line's starter distribution:
// its remote inference providers and the environment each reads (llamastack/llama-stack
// v0.3.0 llama_stack/distributions/starter/run.yaml; opendatahub-io/ogx v1.3.0
// src/ogx/distributions/starter/config.yaml).
func TestStarterDistributionProviders(t *testing.T) {
	type row struct {
		secrets, settings, required []string
		credentials                 string
	}
	common := map[string]row{
		"openai":    {secrets: []string{"OPENAI_API_KEY"}, settings: []string{"OPENAI_BASE_URL"}},
		"anthropic": {secrets: []string{"ANTHROPIC_API_KEY"}},
		"gemini":    {secrets: []string{"GEMINI_API_KEY"}},
		"groq":      {secrets: []string{"GROQ_API_KEY"}},
		"together":  {secrets: []string{"TOGETHER_API_KEY"}},
		"fireworks": {secrets: []string{"FIREWORKS_API_KEY"}},
		"sambanova": {secrets: []string{"SAMBANOVA_API_KEY"}},
		"cerebras":  {secrets: []string{"CEREBRAS_API_KEY"}},
		"nvidia":    {secrets: []string{"NVIDIA_API_KEY"}, settings: []string{"NVIDIA_BASE_URL"}},
		"azure":     {secrets: []string{"AZURE_API_KEY"}, settings: []string{"AZURE_API_BASE", "AZURE_API_VERSION", "AZURE_API_TYPE"}, required: []string{"AZURE_API_BASE"}},
		"vertexai":  {credentials: "GOOGLE_APPLICATION_CREDENTIALS", settings: []string{"VERTEX_AI_PROJECT", "VERTEX_AI_LOCATION"}, required: []string{"VERTEX_AI_PROJECT"}},
		"bedrock":   {secrets: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_BEARER_TOKEN_BEDROCK"}, settings: []string{"AWS_DEFAULT_REGION"}},
		"vllm":      {secrets: []string{"VLLM_API_TOKEN"}, settings: []string{"VLLM_URL", "VLLM_TLS_VERIFY", "VLLM_MAX_TOKENS"}, required: []string{"VLLM_URL"}},
		"ollama":    {settings: []string{"OLLAMA_URL"}, required: []string{"OLLAMA_URL"}},
	}
	ogx := maps.Clone(common)
	ogx["meta"] = row{secrets: []string{"META_API_KEY"}}
	ogx["bedrock"] = row{secrets: []string{"AWS_BEDROCK_BEARER_TOKEN"}, settings: []string{"AWS_DEFAULT_REGION", "AWS_ROLE_ARN"}}
	ogx["gemini"] = row{secrets: []string{"GEMINI_API_KEY"}, settings: []string{"GEMINI_AI_PROJECT"}}
	require.Len(t, registry, len(ogx))
	for line, want := range map[string]map[string]row{"llama-stack": common, "ogx": ogx} {
		for _, p := range registry {
			_, listed := want[p.Name]
			require.Equal(t, listed, p.OnLine(line), "%s on %s", p.Name, line)
		}
		for name, w := range want {
			p, ok := Lookup(name)
			require.True(t, ok, name)
			p = p.ForLine(line)
			var secrets, required []string
			for _, s := range p.Secrets {
				secrets = append(secrets, s.Env)
			}
			for _, s := range p.Settings {
				if s.Required {
					required = append(required, s.Env)
				}
			}
			require.Equal(t, w.secrets, secrets, "%s on %s", name, line)
			require.Equal(t, w.settings, p.SettingNames(), "%s on %s", name, line)
			require.Equal(t, w.required, required, "%s on %s", name, line)
			if w.credentials != "" {
				require.Equal(t, w.credentials, p.Credentials.Env, name)
			} else {
				require.Nil(t, p.Credentials, name)
			}
		}
	}
	for _, want := range []struct{ name, model string }{
		{"gemini", "gemini-2.0-flash"}, {"openai", "gpt-4o"}, {"anthropic", "claude-3-5-sonnet-20241022"},
	} {
		p, _ := Lookup(want.name)
		require.Equal(t, want.model, p.DefaultModel)
	}
}
