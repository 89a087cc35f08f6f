package yamlnode

import (
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
