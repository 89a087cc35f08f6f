package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// TestGeneratedFilesAreCurrent regenerates every file from the API types and the registry
// and compares it with the committed copy: go generate ./... (make golden) rewrites them.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	t.Chdir("..")
	files, err := generated()
	require.NoError(t, err)
	for path, want := range files {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s is out of date; run make golden", path)
	}
}

// TestEveryProviderHasAnExample: a provider has a generated example overlay, or a deploy
// overlay with its walkthrough; no example is left of a provider that is gone.
func TestEveryProviderHasAnExample(t *testing.T) {
	t.Chdir("..")
	for _, p := range providers.All() {
		_, err := os.Stat(filepath.Join("../../../deploy/overlays", p.Name))
		require.True(t, p.Example != nil || err == nil, "%s has neither Example data nor a deploy overlay", p.Name)
	}
	dirs, err := filepath.Glob(filepath.Join(examplesDir, "*"))
	require.NoError(t, err)
	for _, d := range dirs {
		p, ok := providers.Lookup(filepath.Base(d))
		require.True(t, ok && p.Example != nil, "%s is not generated from the registry; remove it", d)
	}
}
