package reference

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"

	"github.com/stretchr/testify/require"
)

const (
	schemaFile = "../llamastackintegration.v1alpha1.schema.json"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestSchemaShape checks the schema a yaml-language-server user gets.
func TestSchemaShape(t *testing.T) {
	source, err := Source("..")
	require.NoError(t, err)
	fields, schema, err := Load(source, "LlamastackIntegration")
	require.NoError(t, err)
	var s map[string]any
	require.NoError(t, json.Unmarshal(schema, &s))
	require.Equal(t, false, s["additionalProperties"], "unknown fields are errors")
	spec := s["properties"].(map[string]any)["spec"].(map[string]any)
	props := spec["properties"].(map[string]any)
	specType := reflect.TypeOf(v1alpha1.Spec{})
	require.Len(t, props, specType.NumField(), "every spec field is in the schema")
	for i := range specType.NumField() {
		name, _, _ := strings.Cut(specType.Field(i).Tag.Get("json"), ",")
		require.Contains(t, props, name)
		require.NotEmpty(t, props[name].(map[string]any)["description"], name)
	}
	require.Equal(t, "array", props["tiers"].(map[string]any)["type"])
	require.Equal(t, "integer", props["maas"].(map[string]any)["properties"].(map[string]any)["subscription"].(map[string]any)["properties"].(map[string]any)["tokenRateLimits"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)["limit"].(map[string]any)["type"])
	paths := map[string]Field{}
	for _, f := range fields {
		paths[f.Path] = f
	}
	for _, f := range fields {
		if !strings.HasPrefix(f.Path, "spec") {
			continue // apiVersion, kind and metadata are Kubernetes'
		}
		require.NotEmpty(t, f.Doc, "%s has no doc comment, so the reference would say nothing of it", f.Path)
	}
	require.True(t, strings.HasPrefix(paths["spec.provider"].Doc, "provider is "), "docs start with the JSON name: %s", paths["spec.provider"].Doc)
	require.Equal(t, "string", paths["spec.apiKeySecret.name"].Type)
	require.Equal(t, "list of object", paths["spec.providers"].Type)
	require.True(t, paths["spec.maas.subscription.tokenRateLimits"].Required)
	require.False(t, paths["spec.model"].Required)
}
