package conformance

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var fencedBlock = regexp.MustCompile("(?ms)^```(sh[^\\n]*)\\n(.*?)^```")

// TestExampleREADMEs runs every command of examples/*/README.md that can run here, in order,
// against a real API server with the KServe and MaaS CRDs: blocks marked `sh` run with
// KUBECONFIG set and KEY_FILE naming a file with a stand-in key; `sh cluster` blocks need
// KServe's controller and MaaS, and `sh interactive` blocks a terminal, so they are only
// counted.
func TestExampleREADMEs(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	readmes, err := filepath.Glob(filepath.Join(root, "examples", "*", "README.md"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(readmes), 3)

	s := startAPIServer(t)
	s.installCRD(t, filepath.Join(kserveDir(t, kserveVersions[len(kserveVersions)-1]), "config", "crd", "full", "llmisvc", "serving.kserve.io_llminferenceservices.yaml"))
	if !installMaaSCRDs(t, s, root) {
		t.Skip("the examples create MaaSModelRefs, whose CRD (../shared/reference/maas-crds) is absent")
	}
	keyFile := filepath.Join(t.TempDir(), "api-key")
	require.NoError(t, os.WriteFile(keyFile, []byte("stand-in-key-for-tests-0042"), 0o600))

	for _, readme := range readmes {
		t.Run(filepath.Base(filepath.Dir(readme)), func(t *testing.T) {
			blocks := fencedBlock.FindAllStringSubmatch(readFile(t, readme), -1)
			ran := 0
			for i, b := range blocks {
				switch strings.TrimSpace(b[1]) {
				case "sh cluster", "sh interactive":
					continue
				case "sh":
				default:
					t.Fatalf("block %d is marked %q; use sh, sh cluster or sh interactive", i, b[1])
				}
				cmd := exec.Command("bash", "-euo", "pipefail", "-c", b[2])
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig, "KEY_FILE="+keyFile)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "block %d of %s:\n%s\n--- output:\n%s", i, readme, b[2], out)
				ran++
			}
			require.GreaterOrEqual(t, ran, 5, "most of the README runs here")
		})
	}
}
