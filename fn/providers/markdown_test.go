package providers

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the README's provider table from the registry")

const (
	tableBegin = "<!-- providers:begin (generated from fn/providers; make golden rewrites it) -->\n"
	tableEnd   = "<!-- providers:end -->"
)

// TestREADMEProviderTable keeps the README's provider table identical to the registry.
func TestREADMEProviderTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(b)
	start := strings.Index(readme, tableBegin)
	end := strings.Index(readme, tableEnd)
	require.True(t, start >= 0 && end > start, "README.md needs the provider table markers")
	want := readme[:start+len(tableBegin)] + MarkdownTable() + readme[end:]
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, readme, "README's provider table differs from the registry; run make golden")
}
