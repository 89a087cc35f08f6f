package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGeneratedFilesAreCurrent regenerates every file from the API types and the registry
// and compares it with the committed copy: go generate ./... (make golden) rewrites them.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	t.Chdir("..")
	files, err := generated()
	require.NoError(t, err)
	require.Len(t, files, 4)
	for path, want := range files {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s is out of date; run make golden", path)
	}
}
