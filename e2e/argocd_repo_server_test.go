package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testport"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Argo CD's real argocd-repo-server and argocd-cmp-server (built from the Go module proxy at
// the version deploy/argocd pins, by scripts/argocd-binaries.sh) render the repository,
// served to them as git the way it is committed (without bin/), when asked for manifests the
// way the application controller asks.

type argoCD struct {
	servers, repoServer, repoURL, checkout, tools, envFile string
}

func startArgoCD(t *testing.T) *argoCD {
	t.Helper()
	build := exec.Command(filepath.Join(root, "scripts", "argocd-binaries.sh"))
	build.Stderr = os.Stderr
	out, err := build.Output()
	require.NoError(t, err, "cannot build Argo CD's repo-server and cmp-server from the Go module proxy (scripts/argocd-binaries.sh)")
	a := &argoCD{servers: strings.TrimSpace(string(out))}
	tmp := t.TempDir()

	// The repository as committed: a clone of HEAD, which has no bin/.
	a.repoURL = "file://" + root
	a.checkout = filepath.Join(tmp, "checkout")
	gitOut, err := exec.Command("git", "clone", "-q", a.repoURL, a.checkout).CombinedOutput()
	require.NoError(t, err, string(gitOut))

	// What the init container installs, plus kustomize and a recorder of the function's
	// environment (for the env test), on the servers' PATH.
	a.tools = filepath.Join(tmp, "custom-tools")
	require.NoError(t, os.Mkdir(a.tools, 0o755))
	_, stderr, err := run(t, root, binary, "install", a.tools)
	require.NoError(t, err, stderr)
	require.NoError(t, os.Symlink(kustomize, filepath.Join(a.tools, "kustomize")))
	a.envFile = filepath.Join(tmp, "function-env.txt")
	require.NoError(t, os.WriteFile(filepath.Join(a.tools, "env-recorder"), []byte("#!/bin/sh\nenv > "+a.envFile+"\nexec llamastack-integration \"$@\"\n"), 0o755))

	sockets := filepath.Join(tmp, "plugins")
	require.NoError(t, os.Mkdir(sockets, 0o755))
	env := []string{"PATH=" + a.tools + ":" + os.Getenv("PATH"), "HOME=" + tmp, "TMPDIR=" + tmp,
		"ARGOCD_PLUGINSOCKFILEPATH=" + sockets, "ARGOCD_GPG_ENABLED=false"}

	// The sidecar, with the plugin configuration as deploy/argocd/cmp renders it.
	pluginDir := filepath.Join(tmp, "cmp-config")
	require.NoError(t, os.Mkdir(pluginDir, 0o755))
	plugin, err := byKind(t, readFile(t, filepath.Join(root, "testdata", "e2e", "argocd-cmp.yaml")))["ConfigMap/llamastack-integration-cmp"].GetString("data.plugin\\.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(pluginDir, "plugin.yaml"), []byte(plugin), 0o644))
	a.start(t, env, filepath.Join(tmp, "cmp-server.log"), "cmp-server", "--config-dir-path", pluginDir, "--loglevel", "warn")

	redis := fmt.Sprintf("127.0.0.1:%d", testport.Free(t))
	a.start(t, env, filepath.Join(tmp, "redis.log"), "redis", redis)
	port := testport.Free(t)
	a.repoServer = fmt.Sprintf("127.0.0.1:%d", port)
	a.start(t, env, filepath.Join(tmp, "repo-server.log"), "repo-server", "--address", "127.0.0.1", "--port", fmt.Sprint(port),
		"--metrics-address", "127.0.0.1", "--metrics-port", fmt.Sprint(testport.Free(t)), "--disable-tls", "--redis", redis, "--loglevel", "warn")
	waitForPort(t, a.repoServer, filepath.Join(tmp, "repo-server.log"))
	return a
}

func (a *argoCD) start(t *testing.T, env []string, logPath string, args ...string) {
	t.Helper()
	log, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(a.servers, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
}

// manifests asks the repo-server for an application's manifests.
func (a *argoCD) manifests(t *testing.T, repoURL, path, plugin, buildOptions string, env ...string) (string, []*yaml.RNode) {
	t.Helper()
	args := []string{"manifests", "-server", a.repoServer, "-repo", repoURL, "-path", path, "-build-options", buildOptions, "-app", "llamastack-test"}
	if plugin != "" {
		args = append(args, "-plugin", plugin)
	}
	for _, e := range env {
		args = append(args, "-env", e)
	}
	out, stderr, err := run(t, root, a.servers, args...)
	require.NoError(t, err, stderr)
	var response struct {
		SourceType string   `json:"sourceType"`
		Manifests  []string `json:"manifests"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &response))
	var objects []*yaml.RNode
	for _, m := range response.Manifests {
		objects = append(objects, yaml.MustParse(m))
	}
	return response.SourceType, objects
}

// localBuild is the local kustomize build of path in the committed checkout, with the
// function on PATH as Argo CD has it.
func (a *argoCD) localBuild(t *testing.T, path string) []*yaml.RNode {
	t.Helper()
	out, stderr, err := runEnv(t, a.checkout, []string{"PATH=" + a.tools + ":" + os.Getenv("PATH")}, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", path)
	require.NoError(t, err, stderr)
	objects, err := kio.FromBytes([]byte(out))
	require.NoError(t, err)
	return objects
}

// TestArgoCDRepoServer renders every committed Argo CD Application with the real repo-server,
// in the exec variant (build options from the rendered argocd-cm) and the plugin variant.
func TestArgoCDRepoServer(t *testing.T) {
	a := startArgoCD(t)
	buildOptions, err := byKind(t, readFile(t, filepath.Join(root, "testdata", "e2e", "argocd-exec.yaml")))["ConfigMap/argocd-cm"].GetString("data.kustomize\\.buildOptions")
	require.NoError(t, err)

	apps, err := kio.FromBytes([]byte(readFile(t, filepath.Join(root, "deploy", "argocd", "apps", "applications.yaml"))))
	require.NoError(t, err)
	require.Len(t, apps, 3)
	for _, app := range apps {
		path, err := app.GetString("spec.source.path")
		require.NoError(t, err)
		plugin, err := app.GetString("spec.source.plugin.name")
		require.NoError(t, err)
		want := asJSON(t, a.localBuild(t, path))
		t.Run(app.GetName()+"/plugin", func(t *testing.T) {
			sourceType, objects := a.manifests(t, a.repoURL, path, plugin, "")
			require.Equal(t, "Plugin", sourceType)
			require.Equal(t, want, asJSON(t, objects))
		})
		t.Run(app.GetName()+"/exec", func(t *testing.T) {
			sourceType, objects := a.manifests(t, a.repoURL, path, "", buildOptions)
			require.Equal(t, "Kustomize", sourceType)
			require.Equal(t, want, asJSON(t, objects))
		})
	}

	t.Run("an Application without the plugin is not handled by it", func(t *testing.T) {
		sourceType, objects := a.manifests(t, a.repoURL, "deploy/argocd/example/upstream", "", "")
		require.Equal(t, "Kustomize", sourceType, "the plugin has no discover rule, so it runs only when named")
		require.NotEmpty(t, objects)
	})

	t.Run("environment", func(t *testing.T) {
		repo := envRepository(t)
		_, objects := a.manifests(t, repo, "env", "llamastack-integration", "", "LLAMASTACK_TEST=from-the-application")
		require.NotEmpty(t, objects)
		env := readFile(t, a.envFile)
		require.Contains(t, env, "ARGOCD_ENV_LLAMASTACK_TEST=from-the-application\n", "spec.source.plugin.env reaches the function, prefixed")
		require.Contains(t, env, "ARGOCD_APP_NAME=llamastack-test\n")

		require.NoError(t, os.Remove(a.envFile))
		_, objects = a.manifests(t, repo, "env", "", buildOptions)
		require.NotEmpty(t, objects)
		require.Contains(t, readFile(t, a.envFile), "ARGOCD_APP_NAME=llamastack-test\n", "the exec variant passes the build environment too")
	})
}

// envRepository is a git repository with one overlay whose function is env-recorder, which
// writes the function's environment to a file and runs the function.
func envRepository(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(dir, "base"), os.DirFS(filepath.Join(root, "deploy", "base"))))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "env"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "env", "kustomization.yaml"), []byte("namespace: llm\nresources: [../base]\ntransformers: [fn.yaml]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "env", "fn.yaml"), []byte(`apiVersion: llamastack.opendatahub.io/v1alpha1
kind: LlamastackIntegration
metadata:
  name: env
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: env-recorder
spec:
  provider: openai
`), 0o644))
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "env"}} {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	return "file://" + dir
}

func asJSON(t *testing.T, objects []*yaml.RNode) []string {
	t.Helper()
	var out []string
	for _, o := range objects {
		j, err := o.MarshalJSON()
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(j, &v))
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

func waitForPort(t *testing.T, address, logPath string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if conn, err := net.DialTimeout("tcp", address, time.Second); err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("nothing listens on %s after 60s; the log ends:\n%s", address, tail(string(log), 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
