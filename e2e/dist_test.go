package e2e

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
)

// TestDist builds the release binaries with make dist and checks what exec users and Argo
// CD download: one static ELF per platform, the version stamped, and a matching SHA256SUMS.
func TestDist(t *testing.T) {
	dist := t.TempDir()
	out, stderr, err := run(t, root, "make", "dist", "DIST="+dist, "VERSION=v9.9.9-test")
	require.NoError(t, err, out+stderr)
	sums := readFile(t, filepath.Join(dist, "SHA256SUMS"))
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		name := "llamastack-integration_v9.9.9-test_linux_" + arch
		path := filepath.Join(dist, name)
		f, err := elf.Open(path)
		require.NoError(t, err, name)
		require.Equal(t, machine, f.Machine, name)
		for _, p := range f.Progs {
			require.NotEqual(t, elf.PT_INTERP, p.Type, "%s must be static (no dynamic loader)", name)
		}
		f.Close()
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		digest := sha256.Sum256(b)
		require.Contains(t, sums, hex.EncodeToString(digest[:])+"  "+name+"\n")
	}
	version, _, err := run(t, root, filepath.Join(dist, "llamastack-integration_v9.9.9-test_linux_amd64"), "--version")
	require.NoError(t, err)
	require.Equal(t, "llamastack-integration v9.9.9-test\n", version)
}

// TestStaticBinaryInEmptyRoot runs the static binary in a root directory that holds nothing
// else, as an unprivileged user (uid and gid 65534, nobody, as kustomize and kpt run
// function containers), the closest this machine gets to the distroless image without a
// Docker engine. It also checks the install command Argo CD's init container uses.
func TestStaticBinaryInEmptyRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		testskip.Skip(t, "the release binary in an empty root: chroot needs root, and these tests do not run as root")
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		testskip.Skip(t, "the release binary in an empty root: chroot is not on PATH")
	}
	rootfs := t.TempDir()
	require.NoError(t, os.Chmod(rootfs, 0o755))
	out, stderr, err := runEnv(t, root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", filepath.Join(rootfs, "llamastack-integration"), "./fn")
	require.NoError(t, err, out+stderr)
	tools := filepath.Join(rootfs, "tools")
	require.NoError(t, os.Mkdir(tools, 0o777))
	require.NoError(t, os.Chmod(tools, 0o777))

	input := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: serving.kserve.io/v1alpha1
  kind: LLMInferenceService
  metadata: {name: llamastack, namespace: llm}
functionConfig:
  apiVersion: llamastack.opendatahub.io/v1alpha1
  kind: LlamastackIntegration
  metadata: {name: gemini}
  spec: {provider: gemini}
`
	cmd := exec.Command(chroot, "--userspec=65534:65534", rootfs, "/llamastack-integration")
	cmd.Stdin = strings.NewReader(input)
	cmd.Env = []string{}
	got, err := cmd.Output()
	require.NoError(t, err)
	require.Contains(t, string(got), "name: GEMINI_API_KEY")

	installed, err := exec.Command(chroot, "--userspec=65534:65534", rootfs, "/llamastack-integration", "install", "/tools").CombinedOutput()
	require.NoError(t, err, string(installed))
	require.Regexp(t, `^llamastack-integration: installed llamastack-integration \S+ as /tools/llamastack-integration\n$`, string(installed), "install says what it installed and where")
	version, err := exec.Command(filepath.Join(tools, "llamastack-integration"), "--version").Output()
	require.NoError(t, err)
	require.Contains(t, string(version), "llamastack-integration ")
}

// TestDockerfile checks the image's rules that matter to users (container_test.go builds and
// runs it), and runs hadolint when it is installed (Debian does not package it).
func TestDockerfile(t *testing.T) {
	dockerfile := readFile(t, filepath.Join(root, "Dockerfile"))
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(dockerfile, -1)
	require.Len(t, froms, 1, "one stage: make image builds the binary, so no base image is pulled")
	require.Equal(t, "scratch", froms[0][1])
	for _, want := range []string{"USER 65532:65532", `ENTRYPOINT ["/usr/local/bin/llamastack-integration"]`, "COPY image/etc/passwd image/etc/group /etc/",
		"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.licenses"} {
		require.Contains(t, dockerfile, want)
	}
	passwd := readFile(t, filepath.Join(root, "image", "etc", "passwd"))
	for _, user := range []string{"root:x:0:0:", "nobody:x:65534:65534:", "nonroot:x:65532:65532:"} {
		require.Contains(t, passwd, user, "kustomize runs functions as nobody; the image's user is nonroot")
	}

	hadolint, err := exec.LookPath("hadolint")
	if err != nil {
		t.Log("hadolint is not installed (Debian does not package it): only the rules above were checked")
		return
	}
	out, err := exec.Command(hadolint, filepath.Join(root, "Dockerfile")).CombinedOutput()
	require.NoError(t, err, string(out))
}

func runEnv(t *testing.T, dir string, env []string, name string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	cmd.Env = append(os.Environ(), env...)
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}
