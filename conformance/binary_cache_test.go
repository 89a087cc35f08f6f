package conformance

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeGo plays go for the scripts that build into the binary cache: `mod download -json` and
// `mod edit -json` answer in go's layout. `build -o OUT` marks OUT as its own, waits a second
// (with FAKE_GO_BARRIER, until a second build of the same binary has started too; 10 s at
// most), and fails if another build wrote OUT meanwhile, as two builds writing one file spoil
// each other; otherwise it writes the binary, or fails when FAKE_GO_FAIL is set. Every build
// appends a line to FAKE_GO_LOG.
const fakeGo = `#!/usr/bin/env bash
set -euo pipefail
case "$1 ${2:-}" in
"mod download") printf '{\n\t"Path": "example.test/module",\n\t"Dir": "%s",\n\t"Version": "v0.0.0"\n}\n' "$FAKE_MODULE_DIR" ;;
"mod edit") [[ "${3:-}" != -json ]] || printf '{\n\t"Go": "1.24"\n}\n' ;;
"build "*)
  while [[ "$1" != -o ]]; do shift; done
  out=$2
  echo "$out" >> "$FAKE_GO_LOG"
  echo "build $$ in progress" > "$out"
  if [[ -z "${FAKE_GO_BARRIER:-}" ]]; then
    sleep 1
  else
    mkdir -p "$FAKE_GO_BARRIER/${out##*/}"
    touch "$FAKE_GO_BARRIER/${out##*/}/$$"
    for _ in {1..100}; do
      [[ $(find "$FAKE_GO_BARRIER/${out##*/}" -type f | wc -l) -lt 2 ]] || break
      sleep 0.1
    done
  fi
  [[ "$(cat "$out" 2>/dev/null)" == "build $$ in progress" ]] || { echo "fake go: another build wrote $out meanwhile" >&2; exit 1; }
  [[ -z "${FAKE_GO_FAIL:-}" ]] || { echo "fake go: build failed" >&2; exit 1; }
  printf 'binary built by fake go for %s, pid %s\n' "${out##*/}" "$$" > "$out"
  chmod 755 "$out"
  ;;
esac
`

// writeFakeTools writes the fake go (and, when brokenFlock, a flock that always fails) into
// a folder to put first on PATH, and a module folder for `go mod download` to name.
func writeFakeTools(t *testing.T, brokenFlock bool) (binDir, moduleDir string) {
	t.Helper()
	binDir, moduleDir = t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(binDir, "go"), []byte(fakeGo), 0o755))
	if brokenFlock {
		require.NoError(t, os.WriteFile(filepath.Join(binDir, "flock"), []byte("#!/bin/sh\nexit 1\n"), 0o755))
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		require.NoError(t, os.WriteFile(filepath.Join(moduleDir, name), []byte("module example.test/module\n"), 0o644))
	}
	return binDir, moduleDir
}

type scriptRun struct {
	stdout, stderr string
	code           int
}

// runTogether starts the same command twice at once and waits for both.
func runTogether(t *testing.T, env []string, name string, args ...string) [2]scriptRun {
	t.Helper()
	var runs [2]scriptRun
	var errs [2]error
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(name, args...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			errs[i] = cmd.Run()
			runs[i] = scriptRun{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			require.NoError(t, err)
		}
	}
	return runs
}

// cacheFiles lists the regular files under dir, relative to it.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return err
	}))
	return files
}

// cacheScenario is how the two runs meet the cache.
type cacheScenario struct {
	name        string
	brokenFlock bool // flock fails, so both runs build, and the fake go makes them build at once
	buildFails  bool
	unwritable  bool   // XDG_CACHE_HOME is a file, so no cache folder can be made in it
	failure     string // what each run says on stderr when it must fail
	buildsEach  int    // how many times each binary is built, when the builds succeed
}

// fakeBuildEnv is the environment of a script run with the fake tools first on PATH and an
// empty cache in XDG_CACHE_HOME; it returns the cache's folder and the fake go's build log.
func fakeBuildEnv(t *testing.T, sc cacheScenario) (env []string, folder, goLog string) {
	t.Helper()
	binDir, moduleDir := writeFakeTools(t, sc.brokenFlock)
	cache, goLog := t.TempDir(), filepath.Join(t.TempDir(), "builds")
	if sc.unwritable {
		cache = filepath.Join(cache, "a-file")
		require.NoError(t, os.WriteFile(cache, nil, 0o644))
	}
	env = []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"XDG_CACHE_HOME=" + cache, "FAKE_MODULE_DIR=" + moduleDir, "FAKE_GO_LOG=" + goLog,
		"KUBE_VERSION=v1.0.1-test", "ETCD_VERSION=v3.0.1-test"}
	if sc.buildFails {
		env = append(env, "FAKE_GO_FAIL=1")
	}
	if sc.brokenFlock {
		env = append(env, "FAKE_GO_BARRIER="+t.TempDir())
	}
	return env, filepath.Join(cache, "llamastack-integration"), goLog
}

// requireBuilt checks that folder holds exactly the binaries, each executable and one whole
// build, and that the fake go built each of them buildsEach times.
// requireOutcome checks two runs of a cache script in scenario sc: both fail with its message
// and leave nothing in the cache, or both print the binary's path and one build made it.
func requireOutcome(t *testing.T, sc cacheScenario, runs [2]scriptRun, folder, printed string, binaries []string, goLog string) {
	t.Helper()
	if sc.failure != "" {
		if !sc.unwritable {
			require.Empty(t, cacheFiles(t, filepath.Dir(folder)), "a failed build leaves nothing in the cache")
		}
		for _, run := range runs {
			require.Equal(t, 1, run.code, run.stderr)
			require.Contains(t, run.stderr, sc.failure)
		}
		return
	}
	for _, run := range runs {
		require.Equal(t, 0, run.code, run.stderr)
		require.Equal(t, filepath.Join(folder, printed)+"\n", run.stdout)
	}
	requireBuilt(t, folder, binaries, goLog, sc.buildsEach)
}

func requireBuilt(t *testing.T, folder string, binaries []string, goLog string, buildsEach int) {
	t.Helper()
	require.Equal(t, binaries, cacheFiles(t, folder), "only the binaries, no temporary file")
	for _, bin := range binaries {
		info, err := os.Stat(filepath.Join(folder, bin))
		require.NoError(t, err)
		require.NotZero(t, info.Mode()&0o111, "%s is executable", bin)
		require.Regexp(t, `^binary built by fake go for [^,\n]+, pid [0-9]+\n$`, readFile(t, filepath.Join(folder, bin)), "%s is one whole build", bin)
	}
	builds := strings.Split(strings.TrimSpace(readFile(t, goLog)), "\n")
	require.Len(t, builds, buildsEach*len(binaries), "builds: %q", builds)
}

// TestBinaryCacheConcurrentBuilds runs each script that builds into the machine-wide binary
// cache twice at once on an empty cache (two clones running make test, say), with a fake go
// first on PATH: both runs must print the same binaries, each complete, and leave no
// temporary file, whether flock makes them build one at a time (each binary built once) or
// both build at once; a failed build must fail both runs and cache nothing.
func TestBinaryCacheConcurrentBuilds(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	scripts := []struct {
		script   string
		args     []string
		printed  string   // what the script prints, under the cache folder
		binaries []string // what it builds, under the cache folder
	}{
		{"kserve-controller.sh", []string{"v0.0.1-test"}, "kserve-llmisvc-v0.0.1-test", []string{"kserve-llmisvc-v0.0.1-test"}},
		{"kube-binaries.sh", nil, "kube-v1.0.1-test-etcd-v3.0.1-test", []string{"kube-v1.0.1-test-etcd-v3.0.1-test/etcd", "kube-v1.0.1-test-etcd-v3.0.1-test/kube-apiserver"}},
		{"argocd-binaries.sh", []string{"v0.0.1-test"}, "argocd-test-servers-v0.0.1-test", []string{"argocd-test-servers-v0.0.1-test"}},
	}
	scenarios := []cacheScenario{
		{name: "one at a time under flock", buildsEach: 1},
		{name: "both at once without a lock", brokenFlock: true, buildsEach: 2},
		{name: "failed build", buildFails: true, failure: "failed; nothing was cached"},
		{name: "failed build without a lock", brokenFlock: true, buildFails: true, failure: "failed; nothing was cached"},
		{name: "cache not writable", unwritable: true, failure: "(read-only?): set XDG_CACHE_HOME to a writable folder"},
	}
	for _, s := range scripts {
		for _, sc := range scenarios {
			t.Run(strings.TrimSuffix(s.script, ".sh")+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				env, folder, goLog := fakeBuildEnv(t, sc)
				runs := runTogether(t, env, filepath.Join(root, "scripts", s.script), s.args...)
				requireOutcome(t, sc, runs, folder, s.printed, s.binaries, goLog)
			})
		}
	}
}
