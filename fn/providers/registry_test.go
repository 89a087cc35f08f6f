package providers

import (
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRegistryRows checks every row is complete and consistent, so a new provider is one
// correct row.
func TestRegistryRows(t *testing.T) {
	envName := regexp.MustCompile(`^[A-Z][A-Z0-9_]*_API_KEY$`)
	dnsLabel := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	seenEnv := map[string]bool{}
	names := Names()
	require.True(t, sort.StringsAreSorted(names))
	for _, p := range All() {
		require.Regexp(t, dnsLabel, p.Name, "a provider name is used in Secret names")
		require.NotEmpty(t, p.DisplayName)
		require.Regexp(t, envName, p.APIKeyEnv)
		require.False(t, seenEnv[p.APIKeyEnv], "API key env %s is used twice", p.APIKeyEnv)
		seenEnv[p.APIKeyEnv] = true
		require.True(t, p.KnowsModel(p.DefaultModel), "%s's default model is among its known models", p.Name)
		require.True(t, sort.StringsAreSorted(p.KnownModels), "%s's models are sorted", p.Name)
		found, ok := Lookup(p.Name)
		require.True(t, ok)
		require.Equal(t, p.Name, found.Name)
		byEnv, ok := ByAPIKeyEnv(p.APIKeyEnv)
		require.True(t, ok)
		require.Equal(t, p.Name, byEnv.Name)
	}
	for _, want := range []struct{ name, env, model string }{
		{"gemini", "GEMINI_API_KEY", "gemini-2.0-flash"},
		{"openai", "OPENAI_API_KEY", "gpt-4o"},
		{"anthropic", "ANTHROPIC_API_KEY", "claude-3-5-sonnet-20241022"},
	} {
		p, ok := Lookup(want.name)
		require.True(t, ok)
		require.Equal(t, want.env, p.APIKeyEnv)
		require.Equal(t, want.model, p.DefaultModel)
	}
	_, ok := Lookup("azure-openai")
	require.False(t, ok)
}
