package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
)

// The containerized function, built by `make image` and run for real with podman: through
// kustomize's container runner (which calls `docker`, here a shim that calls podman), kpt's
// (KPT_FN_RUNTIME=podman), and on its own as the users kustomize and Kubernetes run it as.

// testImage is this run's own tag: two runs on one machine (two clones' make test, say) build
// from different trees, and a shared tag would let one test the other's image.
var testImage = fmt.Sprintf("localhost/llamastack-integration:e2e-%d", os.Getpid())

// removeTestImage removes this run's image, if it built one.
func removeTestImage() {
	if imageEnv != nil {
		cmd := exec.Command("podman", "rmi", "--force", testImage)
		cmd.Env = append(os.Environ(), imageEnv...)
		_ = cmd.Run()
	}
}

// podmanConf is a containers.conf for this host: runc (crun fails on its hybrid cgroups),
// the cgroupfs manager, and default ulimits the host permits.
const podmanConf = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`

var (
	imageOnce  sync.Once
	imageEnv   []string
	imageIDs   []string
	imageError error
)

// containerEnv builds the image (twice, without cache, to prove the build reproducible) and
// returns the environment that runs it; it skips, saying so, where podman is absent.
func containerEnv(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		testskip.Skip(t, "the container image through kustomize and kpt: podman is not installed (.ci/run installs podman and runc)")
	}
	imageOnce.Do(func() {
		dir, err := os.MkdirTemp("", "e2e-podman")
		if err != nil {
			imageError = err
			return
		}
		conf := filepath.Join(dir, "containers.conf")
		shims := filepath.Join(dir, "bin")
		if err = os.WriteFile(conf, []byte(podmanConf), 0o644); err == nil {
			if err = os.Mkdir(shims, 0o755); err == nil {
				// kustomize runs container functions with `docker run`.
				err = os.WriteFile(filepath.Join(shims, "docker"), []byte("#!/bin/sh\nexec podman \"$@\"\n"), 0o755)
			}
		}
		if err != nil {
			imageError = err
			return
		}
		imageEnv = []string{"CONTAINERS_CONF=" + conf, "PATH=" + shims + ":" + os.Getenv("PATH"), "KPT_FN_RUNTIME=podman"}
		for range 2 {
			cmd := exec.Command("make", "image", "IMAGE="+testImage, "IMAGE_BUILD_FLAGS=--no-cache", "ENGINE=podman")
			cmd.Dir, cmd.Env = root, append(os.Environ(), imageEnv...)
			if out, err := cmd.CombinedOutput(); err != nil {
				imageError = &buildError{string(out)}
				return
			}
			id, err := exec.Command("podman", "image", "inspect", "--format", "{{.Id}}", testImage).Output()
			if err != nil {
				imageError = err
				return
			}
			imageIDs = append(imageIDs, strings.TrimSpace(string(id)))
		}
	})
	require.NoError(t, imageError, "make image failed")
	return imageEnv
}

type buildError struct{ out string }

func (e *buildError) Error() string { return e.out }

// TestImage: reproducible, at most 10 MiB, a numeric non-root user, OCI labels.
func TestImage(t *testing.T) {
	env := containerEnv(t)
	require.Len(t, imageIDs, 2)
	require.Equal(t, imageIDs[0], imageIDs[1], "two builds of one commit give the same image")
	t.Logf("image ID of both builds: %s", imageIDs[0])
	inspect := func(format string) string {
		out, _, err := runEnv(t, root, env, "podman", "image", "inspect", "--format", format, testImage)
		require.NoError(t, err)
		return strings.TrimSpace(out)
	}
	size, err := strconv.ParseInt(inspect("{{.Size}}"), 10, 64)
	require.NoError(t, err)
	require.LessOrEqual(t, size, int64(10<<20), "the image is at most 10 MiB")
	t.Logf("image size: %d bytes", size)
	require.Equal(t, "65532:65532", inspect("{{.Config.User}}"), "a numeric user, which the kubelet can check against runAsNonRoot")
	require.Equal(t, "1970-01-01 00:00:00 +0000 UTC", inspect("{{.Created}}"), "fixed timestamps")
	labels := inspect("{{json .Config.Labels}}")
	revision, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	for _, want := range []string{`"org.opencontainers.image.source":"https://github.com/llamastack-integration/llamastack-integration"`,
		`"org.opencontainers.image.revision":"` + strings.TrimSpace(string(revision)) + `"`, `"org.opencontainers.image.licenses":`, `"org.opencontainers.image.version":`} {
		require.Contains(t, labels, want)
	}
}

// TestImageRunsUnprivileged runs the image as nobody (kustomize's user) and as its own user,
// with a read-only root and no network.
func TestImageRunsUnprivileged(t *testing.T) {
	env := containerEnv(t)
	input := readFile(t, filepath.Join(root, "fn", "processor", "testdata", "gemini-defaults", "input.yaml"))
	for _, user := range []string{"65534", "65532"} {
		t.Run(user, func(t *testing.T) {
			cmd := exec.Command("podman", "run", "--rm", "-i", "--user", user, "--read-only", "--network", "none", testImage)
			cmd.Env, cmd.Stdin = append(os.Environ(), env...), strings.NewReader(input)
			out, err := cmd.Output()
			require.NoError(t, err)
			require.Contains(t, string(out), "name: GEMINI_API_KEY")
		})
	}
}

// TestKustomizeContainerFunction renders every deploy overlay with the function as a
// container: the output is byte-identical to the exec function's.
func TestKustomizeContainerFunction(t *testing.T) {
	env := containerEnv(t)
	for _, o := range overlays {
		t.Run(o.provider, func(t *testing.T) {
			tmp := copyOverlay(t, o.provider)
			config := filepath.Join(tmp, "deploy", "overlays", o.provider, "llamastack-integration.yaml")
			text := readFile(t, config)
			exec := "      exec:\n        path: ../../../bin/llamastack-integration\n"
			require.Contains(t, text, exec)
			require.NoError(t, os.WriteFile(config, []byte(strings.Replace(text, exec, "      container:\n        image: "+testImage+"\n", 1)), 0o644))
			out, stderr, err := runEnv(t, tmp, env, kustomize, "build", "--enable-alpha-plugins", filepath.Join(tmp, "deploy", "overlays", o.provider))
			require.NoError(t, err, stderr)
			require.Equal(t, readFile(t, filepath.Join(root, "testdata", "e2e", o.provider+".yaml")), out)
		})
	}
}

// TestKptContainerFunction runs the image under kpt: fn render with a Kptfile pipeline that
// names it, and fn eval --image with the ConfigMap form; each equals the exec function's output.
func TestKptContainerFunction(t *testing.T) {
	env := containerEnv(t)
	kpt, err := exec.LookPath("kpt")
	if err != nil {
		testskip.Skip(t, "the container image under kpt: kpt is not on PATH")
	}
	t.Run("render", func(t *testing.T) {
		pkg := copyPackage(t)
		kptfile := filepath.Join(pkg, "Kptfile")
		text := readFile(t, kptfile)
		require.Contains(t, text, "    - exec: ../../bin/llamastack-integration\n")
		require.NoError(t, os.WriteFile(kptfile, []byte(strings.Replace(text, "    - exec: ../../bin/llamastack-integration\n", "    - image: "+testImage+"\n", 1)), 0o644))
		_, stderr, err := runEnv(t, pkg, env, kpt, "fn", "render", "--image-pull-policy", "never", ".")
		require.NoError(t, err, stderr)
		require.Equal(t, readFile(t, filepath.Join(root, "testdata", "e2e", "kpt-render.yaml")), readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")))
	})
	t.Run("eval", func(t *testing.T) {
		pkg := copyPackage(t)
		_, stderr, err := runEnv(t, pkg, env, kpt, "fn", "eval", ".", "--image", testImage, "--image-pull-policy", "never", "--",
			"provider=anthropic", "model=claude-sonnet-4-20250514", "tiers=free,premium")
		require.NoError(t, err, stderr)
		require.Equal(t, readFile(t, filepath.Join(root, "testdata", "e2e", "kpt-eval.yaml")), readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")))
	})
}
