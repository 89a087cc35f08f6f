package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestODHControllerCache runs scripts/odh-controller.sh as TestBinaryCacheConcurrentBuilds
// runs the other cache scripts (twice at once, a fake go first on PATH) on a small tarball of
// the fork's layout: the binary is keyed by the tarball's hash, built from the extracted tree
// and leaves no temporary file; an absent tarball exits 3 so that the suite can skip.
func TestODHControllerCache(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	script := filepath.Join(root, "scripts", "odh-controller.sh")
	tarball := fakeForkTarball(t)
	sum, err := os.ReadFile(tarball)
	require.NoError(t, err)
	hash := sha256.Sum256(sum)
	binary := "odh-llmisvc-" + hex.EncodeToString(hash[:])[:16]

	scenarios := []cacheScenario{
		{name: "one at a time under flock", buildsEach: 1},
		{name: "both at once without a lock", brokenFlock: true, buildsEach: 2},
		{name: "failed build", buildFails: true, failure: "failed; nothing was cached"},
		{name: "cache not writable", unwritable: true, failure: "(read-only?): set XDG_CACHE_HOME to a writable folder"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			env, folder, goLog := fakeBuildEnv(t, sc)
			runs := runTogether(t, env, script, tarball)
			requireOutcome(t, sc, runs, folder, binary, []string{binary}, goLog)
		})
	}
	t.Run("tarball absent", func(t *testing.T) {
		env, folder, _ := fakeBuildEnv(t, cacheScenario{})
		cmd := exec.Command(script, filepath.Join(t.TempDir(), "absent.tar.gz"))
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.Error(t, err)
		require.Equal(t, 3, cmd.ProcessState.ExitCode(), string(out))
		require.Contains(t, string(out), "absent.tar.gz is absent")
		require.NoDirExists(t, folder)
	})
}

// fakeForkTarball writes a tarball laid out as the fork's (one folder with go.mod and
// cmd/llmisvc) and returns its path.
func fakeForkTarball(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	main := filepath.Join(src, "kserve-odh-test", "cmd", "llmisvc")
	require.NoError(t, os.MkdirAll(main, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "kserve-odh-test", "go.mod"), []byte("module example.test/fork\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(main, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	tarball := filepath.Join(t.TempDir(), "kserve-odh-test.tar.gz")
	out, err := exec.Command("tar", "-czf", tarball, "-C", src, "kserve-odh-test").CombinedOutput()
	require.NoError(t, err, strings.TrimSpace(string(out)))
	return tarball
}
