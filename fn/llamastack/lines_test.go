package llamastack

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImageOf: an image's line follows its repository and, where one repository holds
// several lines, its tag; a tag that tells no version takes the repository's first row.
func TestImageOf(t *testing.T) {
	for _, tc := range []struct{ image, line string }{
		{"llamastack/distribution-starter:0.3.5", "llama-stack"},
		{"docker.io/llamastack/distribution-starter:v0.3.0", "llama-stack"},
		{"llamastack/distribution-starter:0.4.1", "llama-stack-0.7"},
		{"docker.io/llamastack/distribution-starter:0.7.1@sha256:0123", "llama-stack-0.7"},
		{"docker.io/llamastack/distribution-starter@sha256:0123", "llama-stack"},
		{"quay.io/opendatahub/llama-stack:odh-stable", "odh-llama-stack"},
		{"quay.io/rhoai/odh-llama-stack-core-rhel9@sha256:0123", "odh-llama-stack"},
		{"ogxai/distribution-starter:1.3.0", "ogx"},
		{"quay.io/opendatahub/odh-ogx-core:v3.5", "odh-ogx"},
		{"quay.io/rhoai/odh-ogx-core-rhel9:v3.6", "odh-ogx"},
		{"quay.io/me/mirror:1", ""},
	} {
		im, known := ImageOf(tc.image)
		require.Equal(t, tc.line != "", known, tc.image)
		require.Equal(t, tc.line, im.Line, tc.image)
	}
}

// TestLines: every line and image row is complete, and each image names a line.
func TestLines(t *testing.T) {
	for _, l := range lines {
		require.NotEmpty(t, l.Family, l.Name)
		require.True(t, (l.ImageConfig == "") != (len(l.StarterConfigs) == 0), "%s: a starter config or the image's own", l.Name)
		require.Contains(t, []string{"lookup", "registered"}, l.Aliases, l.Name)
		require.True(t, l.Aliases == "registered" || l.Entrypoint != "", "%s: the lookup patch runs the server in process", l.Name)
		require.True(t, len(l.SecretFiles) == 0 || l.ImageEntrypoint != "", "%s: <VAR>_FILE is the image entrypoint's", l.Name)
	}
	for _, im := range images {
		_, ok := LineNamed(im.Line)
		require.True(t, ok, im.Repository)
	}
	require.Equal(t, []string{"odh-llama-stack", "odh-ogx"}, PostgresLines())
}
