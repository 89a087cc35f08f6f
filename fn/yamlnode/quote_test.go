package yamlnode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestQuoteAmbiguous: what the function writes reads back as the same strings with a YAML 1.1
// reader (sigs.k8s.io/yaml, as kubectl), and ordinary strings keep their plain style.
func TestQuoteAmbiguous(t *testing.T) {
	for _, value := range []string{"on", "Off", "yes", "NO", "y", "n", "~", "null", "NULL", "0x1F", "1e3", "0o17", "017", "0b101",
		".inf", "-.Inf", ".NaN", "1_000", "12:30", "3.14", "2026-01-01", "true", "FALSE", "",
		"Y", "True", "false", "+1", "-1", "4", "5", "6", "7", "8", "9"} { // each first character of a YAML 1.1 non-string
		t.Run(value, func(t *testing.T) {
			n := yaml.NewMapRNode(nil)
			require.NoError(t, n.PipeE(yaml.SetField("name", yaml.NewStringRNode(value))))
			QuoteAmbiguous(n.YNode())
			// kyaml's SetField quotes some itself: the function must quote a bare node too.
			bare := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: value}
			QuoteAmbiguous(bare)
			require.Equal(t, yaml.DoubleQuotedStyle, bare.Style)
			var back map[string]any
			require.NoError(t, sigsyaml.Unmarshal([]byte(n.MustString()), &back))
			require.Equal(t, value, back["name"], "kubectl reads %q back from %s", value, n.MustString())
		})
	}
	for _, plain := range []string{"gpt-4o", "llama3.2:3b", "openai/gpt-4o", "v0.20", "1001a", "on-prem"} {
		n := yaml.NewMapRNode(nil)
		require.NoError(t, n.PipeE(yaml.SetField("name", yaml.NewStringRNode(plain))))
		QuoteAmbiguous(n.YNode())
		require.Equal(t, "name: "+plain+"\n", n.MustString(), "%q stays plain", plain)
	}
}

// TestDuplicateKeys: every repeat of a key, by its path, in mappings small and large, under
// sequences and empty keys; an alias is not followed.
func TestDuplicateKeys(t *testing.T) {
	large := "{"
	for i := range 40 {
		large += fmt.Sprintf("k%d: %d, ", i, i)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"{a: 1, b: 2}", ""},
		{"{a: 1, b: 2, a: 3}", "a"},
		{"{a: 1, a: 2, a: 3}", "a a"},
		{"{spec: {x: 1, y: {z: 1, z: 2}, x: 2}}", "spec.y.z spec.x"},
		{"{items: [{a: 1}, {b: 1, b: 2}]}", "items[1].b"},
		{"[{a: 1, a: 2}, [{b: 1, b: 2}]]", "[0].a [1][0].b"},
		{"{'': {a: 1, a: 2}}", "a"},
		{"{metadata: {annotations: {a.b/c: x, a.b/c: y}}}", "metadata.annotations.a.b/c"},
		{"{a: {x: 1}, a: {x: 1, x: 2}}", "a a.x"},
		{"{base: &b {x: 1, x: 2}, use: *b}", "base.x"},
		{large + "k7: again}", "k7"},
		{large + "k0: {x: 1, x: 2}}", "k0 k0.x"},
	} {
		t.Run(tc.yaml[:min(len(tc.yaml), 40)], func(t *testing.T) {
			n, err := yaml.Parse(tc.yaml)
			require.NoError(t, err)
			require.Equal(t, tc.want, strings.Join(DuplicateKeys(n.YNode()), " "))
		})
	}
}
