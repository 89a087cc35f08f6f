package providers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMarkdownTable: one row per provider, each naming its credentials; the README's copy is
// kept current by fn/api/v1alpha1/gen.
func TestMarkdownTable(t *testing.T) {
	table := MarkdownTable()
	require.Equal(t, len(registry)+2, strings.Count(table, "\n"), "a header, a rule and a row per provider")
	for _, p := range registry {
		require.Contains(t, table, "| "+p.Name+" ("+p.DisplayName+")")
	}
}
