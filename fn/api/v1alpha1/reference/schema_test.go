package reference

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestSchemaValidatesTheRepositorysConfigs compiles the published schema with a JSON Schema
// validator and checks every LlamastackIntegration file in the repository against it, and
// that it rejects what the function rejects for shape.
func TestSchemaValidatesTheRepositorysConfigs(t *testing.T) {
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(mustRead(t, schemaFile)))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", schemaDoc))
	schema, err := c.Compile("schema.json")
	require.NoError(t, err)

	// Every functionConfig file of the repository, wherever it is.
	var files []string
	require.NoError(t, filepath.WalkDir("../../../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.Name() == "llamastack-integration.yaml" {
			files = append(files, path)
		}
		return nil
	}))
	require.NotEmpty(t, files)
	for _, f := range files {
		content := string(mustRead(t, f))
		require.True(t, strings.HasPrefix(content, "# yaml-language-server: $schema="), "%s starts with the schema modeline", f)
		require.NoError(t, schema.Validate(toJSONValue(t, mustRead(t, f))), f)
	}
	for _, bad := range []string{
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, modle: x}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, tiers: free}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, maas: {subscription: {ownerGroups: [g]}}}\n",
		// The limits config enforces, from the validation markers.
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, runAsUser: 0}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, gateway: {namespace: Bad_NS}}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, apiKeySecret: {name: my_secret}}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, modelURI: models/none}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, imageLine: vllm}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, tiers: [Free]}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, maas: {subscription: {ownerGroups: [g], tokenRateLimits: [{limit: 2000000000, window: 1h}]}}}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, maas: {subscription: {ownerGroups: [g], tokenRateLimits: [{limit: 10, window: 10000h}]}}}\n",
		"apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: gemini, maas: {subscription: {ownerGroups: [g], tokenRateLimits: []}}}\n",
	} {
		require.Error(t, schema.Validate(toJSONValue(t, []byte(bad))), bad)
	}
}

func toJSONValue(t *testing.T, y []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(y)
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return v
}
