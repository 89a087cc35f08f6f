package conformance

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
)

var fencedBlock = regexp.MustCompile("(?ms)^```(sh[^\\n]*)\\n(.*?)^```")

// TestExampleREADMEs runs every command of README.md, docs/*.md and examples/README.md that
// can run here, in order,
// against a real API server with the KServe and MaaS CRDs: blocks marked `sh` run with
// KUBECONFIG set and KEY_FILE naming a file with a stand-in key; `sh cluster` blocks need
// KServe's controller and MaaS, `sh interactive` blocks a terminal, and `sh slow` blocks are
// long runs exercised by CI itself (make test) or other tests (make dist), so they are skipped.
func TestExampleREADMEs(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	readmes := append([]string{filepath.Join(root, "examples", "README.md")}, docs...)

	keyFile := filepath.Join(t.TempDir(), "api-key")
	require.NoError(t, os.WriteFile(keyFile, []byte("stand-in-key-for-tests-0042"), 0o600))
	server := func(t *testing.T) *apiServer {
		s := startAPIServer(t)
		s.installCRD(t, filepath.Join(kserveDir(t, kserveVersions[len(kserveVersions)-1]), "config", "crd", "full", "llmisvc", "serving.kserve.io_llminferenceservices.yaml"))
		if !installMaaSCRDs(t, s, root) {
			testskip.Skip(t, "the documentation's commands: they create MaaS objects, and the MaaS CRDs (../shared/reference/maas-crds, upstream files not on the Go module proxy) are absent")
		}
		return s
	}
	_, kptErr := exec.LookPath("kpt")

	// The examples clean up after themselves and share a server; the top README's quick start
	// leaves its objects, so it gets its own.
	shared := server(t)
	readmes = append(readmes, filepath.Join(root, "README.md"))
	for _, readme := range readmes {
		name, _ := filepath.Rel(root, readme)
		t.Run(name, func(t *testing.T) {
			s := shared
			if name == "README.md" {
				s = server(t)
			}
			blocks := fencedBlock.FindAllStringSubmatch(readFile(t, readme), -1)
			ran := 0
			for i, b := range blocks {
				switch strings.TrimSpace(b[1]) {
				case "sh cluster", "sh interactive", "sh slow":
					continue
				case "sh":
				default:
					t.Fatalf("block %d is marked %q; use sh, sh cluster, sh interactive or sh slow", i, b[1])
				}
				if kptErr != nil && strings.Contains(b[2], "kpt ") {
					t.Logf("kpt is not on PATH: skipping block %d", i)
					continue
				}
				cmd := exec.Command("bash", "-euo", "pipefail", "-c", b[2])
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig, "KEY_FILE="+keyFile)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "block %d of %s:\n%s\n--- output:\n%s", i, readme, b[2], out)
				ran++
			}
			if !strings.HasPrefix(name, "docs") {
				require.GreaterOrEqual(t, ran, 5, "most of %s runs here", name)
			}
		})
	}
}
