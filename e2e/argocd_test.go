package e2e

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestArgoCDComponents renders both Argo CD variants over the stand-in install and checks
// what each must change. The rendered output is also dry-run on the real API server by the
// conformance suite (it reads testdata/e2e).
func TestArgoCDComponents(t *testing.T) {
	for _, variant := range []string{"exec", "cmp"} {
		t.Run(variant, func(t *testing.T) {
			out, stderr, err := run(t, root, kustomize, "build", filepath.Join(root, "deploy", "argocd", "example", variant))
			require.NoError(t, err, stderr)
			golden(t, filepath.Join(root, "testdata", "e2e", "argocd-"+variant+".yaml"), out)
			objects := byKind(t, out)
			repo := objects["Deployment"]
			init, err := repo.Pipe(yaml.Lookup("spec", "template", "spec", "initContainers", "[name=install-llamastack-integration]"))
			require.NoError(t, err)
			require.NotNil(t, init, "an init container installs the function")
			args, err := init.GetSlice("args")
			require.NoError(t, err)
			require.Equal(t, []any{"install", "/custom-tools"}, args)
			container := map[string]string{"exec": "argocd-repo-server", "cmp": "llamastack-integration-cmp"}[variant]
			mount, err := repo.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name="+container+"]", "volumeMounts", "[mountPath=/usr/local/bin/llamastack-integration]"))
			require.NoError(t, err)
			require.NotNil(t, mount, "%s has the function on PATH", container)
			cm := objects["ConfigMap/argocd-cm"]
			buildOptions, _ := cm.GetString("data.kustomize\\.buildOptions")
			if variant == "exec" {
				require.Equal(t, "--enable-alpha-plugins --enable-exec", buildOptions)
			} else {
				require.Empty(t, buildOptions, "the plugin variant leaves exec off instance-wide")
				plugin := objects["ConfigMap/llamastack-integration-cmp"].MustString()
				require.Contains(t, plugin, "command: [kustomize, build, --enable-alpha-plugins, --enable-exec, .]")
			}
		})
	}
}

func byKind(t *testing.T, manifests string) map[string]*yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(manifests))
	require.NoError(t, err)
	out := map[string]*yaml.RNode{}
	for _, n := range nodes {
		out[n.GetKind()] = n
		out[n.GetKind()+"/"+n.GetName()] = n
	}
	return out
}
