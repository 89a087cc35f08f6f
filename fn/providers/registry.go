// Package providers is the registry of external LLM providers that Llama Stack's starter
// distribution can forward to. Each provider is one row of the table below: adding a
// provider means adding a row, nothing else.
package providers

import (
	"slices"
	"sort"
)

// Provider is one row of the registry.
type Provider struct {
	// Name is the registry name users write in spec.provider; it is also the provider_id
	// of the starter distribution's run.yaml.
	Name string
	// DisplayName is the provider's name for people.
	DisplayName string
	// APIKeyEnv is the environment variable that the starter distribution reads the API
	// key from; its presence is what enables the provider.
	APIKeyEnv string
	// DefaultModel is served when spec.model is not set.
	DefaultModel string
	// KnownModels are models known to be served by the provider. Others are accepted
	// with a warning.
	KnownModels []string
}

// registry is the table. Keep it sorted by Name.
var registry = []Provider{
	{
		Name:         "anthropic",
		DisplayName:  "Anthropic",
		APIKeyEnv:    "ANTHROPIC_API_KEY",
		DefaultModel: "claude-3-5-sonnet-20241022",
		KnownModels: []string{
			"claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219",
			"claude-3-haiku-20240307", "claude-3-opus-20240229", "claude-opus-4-1-20250805",
			"claude-opus-4-20250514", "claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929",
		},
	},
	{
		Name:         "gemini",
		DisplayName:  "Google Gemini",
		APIKeyEnv:    "GEMINI_API_KEY",
		DefaultModel: "gemini-2.0-flash",
		KnownModels: []string{
			"gemini-1.5-flash", "gemini-1.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-lite",
			"gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro",
		},
	},
	{
		Name:         "openai",
		DisplayName:  "OpenAI",
		APIKeyEnv:    "OPENAI_API_KEY",
		DefaultModel: "gpt-4o",
		KnownModels: []string{
			"gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
			"gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano", "o1", "o1-mini", "o3",
			"o3-mini", "o4-mini",
		},
	},
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

// ByAPIKeyEnv returns the provider whose API key lives in env var name.
func ByAPIKeyEnv(name string) (Provider, bool) {
	for _, p := range registry {
		if p.APIKeyEnv == name {
			return p, true
		}
	}
	return Provider{}, false
}
