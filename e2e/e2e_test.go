// Package e2e runs the built function through the real orchestrators: the kustomize CLI
// pinned as a Go tool of this module, and kpt when it is on PATH.
package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/fn/providers"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files from the actual output")

// Overlays are the deploy overlays, each rendering one <provider>-llamastack.
var overlays = []struct{ provider, keyEnv string }{
	{"gemini", "GEMINI_API_KEY"},
	{"openai", "OPENAI_API_KEY"},
	{"anthropic", "ANTHROPIC_API_KEY"},
}

// renderable is every kustomization the function runs in: the deploy overlays and the
// examples. Each renders to testdata/e2e/<golden>.yaml.
type renderable struct{ dir, golden string }

func renderables(t *testing.T) []renderable {
	t.Helper()
	var out []renderable
	for _, o := range overlays {
		out = append(out, renderable{filepath.Join("deploy", "overlays", o.provider), o.provider})
	}
	for _, pattern := range []string{"examples/*", "examples/providers/*", "examples/features/*"} {
		dirs, err := filepath.Glob(filepath.Join(root, pattern, "kustomization.yaml"))
		require.NoError(t, err)
		for _, d := range dirs {
			if !strings.Contains(readFile(t, d), "llamastack-integration.yaml") {
				continue // not a function overlay
			}
			rel, err := filepath.Rel(root, filepath.Dir(d))
			require.NoError(t, err)
			out = append(out, renderable{rel, strings.ReplaceAll(rel, string(filepath.Separator), "-")})
		}
	}
	for _, p := range providers.Names() {
		require.True(t, slices.ContainsFunc(out, func(r renderable) bool {
			return r.dir == filepath.Join("deploy", "overlays", p) || r.dir == filepath.Join("examples", "providers", p)
		}), "provider %s has no overlay to render", p)
	}
	deployed, err := filepath.Glob(filepath.Join(root, "deploy", "overlays", "*", "kustomization.yaml"))
	require.NoError(t, err)
	require.Len(t, deployed, len(overlays), "every deploy overlay is tested")
	return out
}

var root, binary, kustomize, noop string

var topLevelKind = regexp.MustCompile(`(?m)^kind: LLMInferenceService$`)

func TestMain(m *testing.M) {
	flag.Parse()
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	root = filepath.Dir(wd)
	// The overlays' exec path is ../../../bin/llamastack-integration: make build puts the
	// function and the pinned kustomize there, and does nothing when they are current, so
	// test packages running in parallel never rewrite a binary another one is running.
	binary = filepath.Join(root, "bin", "llamastack-integration")
	kustomize = filepath.Join(root, "bin", "kustomize")
	tmp, err := os.MkdirTemp("", "e2e-noop")
	if err != nil {
		panic(err)
	}
	noop = filepath.Join(tmp, "noop-function")
	for _, args := range [][]string{{"make", "build"}, {"go", "build", "-o", noop, "./bench/noop"}} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s: %v\n", strings.Join(args, " "), err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(tmp)
	removeTestImage()
	os.Exit(code)
}

// TestKustomizeOverlays renders every overlay with the pinned kustomize CLI and compares
// the output with testdata/e2e/<provider>.yaml.
func TestKustomizeOverlays(t *testing.T) {
	for _, o := range overlays {
		t.Run(o.provider, func(t *testing.T) {
			dir := filepath.Join(root, "deploy", "overlays", o.provider)
			out, stderr, err := run(t, root, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
			require.NoError(t, err, stderr)
			// A clean render writes one summary line (spec.quiet leaves it out) and no warning.
			require.Regexp(t, `^llamastack-integration: LLMInferenceService llm/`+o.provider+`-llamastack: configured for `+o.provider+` model [^:]+: [0-9]+ changes; generated MaaSModelRef llm/`+o.provider+`-llamastack, ConfigMap llm/`+o.provider+`-llamastack-program-[0-9a-f]{10}, ConfigMap llm/`+o.provider+`-llamastack-startup-[0-9a-f]{10}\n$`, stderr)

			// The function really ran: kustomize silently skips exec functions without
			// --enable-exec, and these fields exist only when it did.
			for _, want := range []string{
				"name: " + o.provider + "-llamastack",
				"provider: " + o.provider,
				"name: " + o.keyEnv,
				"name: " + o.provider + "-" + o.provider + "-api-key",
				"namespace: openshift-ingress",
			} {
				require.Contains(t, out, want)
			}
			require.Len(t, topLevelKind.FindAllString(out, -1), 1, "one LLMInferenceService")
			require.NotContains(t, out, "LlamastackIntegration", "the functionConfig is not part of the output")
			require.NotContains(t, out, "config.kubernetes.io/", "no function or internal annotations leak into the output")
			golden(t, filepath.Join(root, "testdata", "e2e", o.provider+".yaml"), out)
		})
	}
}

// TestKustomizeExamples renders every example overlay (one per provider, and the
// several-provider, MaaS and NetworkPolicy forms) and compares it with its golden file.
func TestKustomizeExamples(t *testing.T) {
	for _, r := range renderables(t) {
		if strings.HasPrefix(r.dir, "deploy") {
			continue
		}
		t.Run(r.golden, func(t *testing.T) {
			out, stderr, err := run(t, root, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join(root, r.dir))
			require.NoError(t, err, stderr)
			require.Len(t, topLevelKind.FindAllString(out, -1), 1, "one LLMInferenceService")
			require.Contains(t, out, "app.kubernetes.io/instance: "+finalName(t, r.dir), "the function ran")
			require.NotContains(t, out, "LlamastackIntegration")
			require.NotContains(t, out, "config.kubernetes.io/")
			golden(t, filepath.Join(root, "testdata", "e2e", r.golden+".yaml"), out)
		})
	}
}

// TestKustomizeSkipsFunctionWithoutExecFlag documents kustomize's trap: without
// --enable-exec the function does not run and nothing says so. The README warns about it.
func TestKustomizeSkipsFunctionWithoutExecFlag(t *testing.T) {
	out, _, err := run(t, root, kustomize, "build", "--enable-alpha-plugins", filepath.Join(root, "deploy", "overlays", "gemini"))
	require.NoError(t, err)
	require.NotContains(t, out, "provider: gemini")
}

// TestIdempotentOnRenderedOutput runs the binary (standalone form) on every overlay's
// rendered output with the overlay's own functionConfig. It must change nothing that a
// do-nothing kyaml function would not (kyaml re-serializes every item, for example a plain
// scalar that kustomize folded over two lines), generated MaaS objects and NetworkPolicies
// included, and its own output must come back byte for byte. The rendered output no longer
// carries kustomize's record of the name before namePrefix, so the target is the final name.
func TestIdempotentOnRenderedOutput(t *testing.T) {
	for _, r := range renderables(t) {
		t.Run(r.golden, func(t *testing.T) {
			rendered := filepath.Join(root, "testdata", "e2e", r.golden+".yaml")
			overlayConfig := readFile(t, filepath.Join(root, r.dir, "llamastack-integration.yaml"))
			require.Contains(t, overlayConfig, "  target:\n    name: llamastack\n")
			dir := t.TempDir()
			config := filepath.Join(dir, "config.yaml")
			require.NoError(t, os.WriteFile(config, []byte(strings.Replace(overlayConfig, "  target:\n    name: llamastack\n", "  target:\n    name: "+finalName(t, r.dir)+"\n", 1)), 0o644))
			out, stderr, err := run(t, root, binary, config, rendered)
			require.NoError(t, err, stderr)
			untouched, stderr, err := run(t, root, noop, config, rendered)
			require.NoError(t, err, stderr)
			require.Equal(t, untouched, out, "the function changed its own rendered output")
			again := filepath.Join(dir, "again.yaml")
			require.NoError(t, os.WriteFile(again, []byte(out), 0o644))
			out2, stderr, err := run(t, root, binary, config, again)
			require.NoError(t, err, stderr)
			require.Equal(t, out, out2, "not a fixed point")
		})
	}
}

// TestKustomizeReportsFunctionErrors breaks an overlay and checks what the user sees: the
// function's one-line message on stderr and a failed build with no output.
func TestKustomizeReportsFunctionErrors(t *testing.T) {
	dir := copyOverlay(t, "gemini")
	config := filepath.Join(dir, "deploy", "overlays", "gemini", "llamastack-integration.yaml")
	b, err := os.ReadFile(config)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(config, bytes.Replace(b, []byte("provider: gemini"), []byte("provider: gemni"), 1), 0o644))

	out, stderr, err := run(t, root, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join(dir, "deploy", "overlays", "gemini"))
	require.Error(t, err)
	require.Empty(t, out)
	require.Contains(t, stderr, `llamastack-integration: error: LlamastackIntegration gemini: spec.provider: unknown provider "gemni" (did you mean "gemini"?); valid providers: `+strings.Join(providers.Names(), ", ")+"\n")
	require.Equal(t, 1, strings.Count(stderr, "unknown provider"), "the error is printed once")
}

// TestKpt runs the example package through kpt's declarative pipeline (fn render) and the
// imperative form with a ConfigMap functionConfig (fn eval -- key=value).
func TestKpt(t *testing.T) {
	kpt, err := exec.LookPath("kpt")
	if err != nil {
		testskip.Skip(t, "kpt fn render and kpt fn eval: kpt is not on PATH")
	}
	t.Run("example package carries the deploy base", func(t *testing.T) {
		require.Equal(t, readFile(t, filepath.Join(root, "deploy", "base", "llminferenceservice.yaml")),
			readFile(t, filepath.Join(root, "examples", "kpt-package", "llminferenceservice.yaml")),
			"a kpt package cannot reference files outside it, so it keeps a copy: cp deploy/base/llminferenceservice.yaml examples/kpt-package/")
	})
	t.Run("render", func(t *testing.T) {
		pkg := copyPackage(t)
		_, stderr, err := run(t, pkg, kpt, "fn", "render", "--allow-exec", ".")
		require.NoError(t, err, stderr)
		require.Contains(t, stderr, "[PASS]")
		require.Contains(t, stderr, "configured for openai model gpt-4o")
		golden(t, filepath.Join(root, "testdata", "e2e", "kpt-render.yaml"), readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")))

		// Rendering again changes nothing.
		first := readFile(t, filepath.Join(pkg, "llminferenceservice.yaml"))
		_, stderr, err = run(t, pkg, kpt, "fn", "render", "--allow-exec", ".")
		require.NoError(t, err, stderr)
		require.Equal(t, first, readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")))
		require.Equal(t, readFile(t, filepath.Join(root, "examples", "kpt-package", "llamastack-integration.yaml")), readFile(t, filepath.Join(pkg, "llamastack-integration.yaml")),
			"the functionConfig file is left as it is")
	})
	t.Run("render with generated objects", func(t *testing.T) {
		pkg := copyPackage(t)
		config := filepath.Join(pkg, "llamastack-integration.yaml")
		require.NoError(t, os.WriteFile(config, []byte(readFile(t, config)+"  maas:\n    modelRef: {}\n  networkPolicy: {}\n"), 0o644))
		_, stderr, err := run(t, pkg, kpt, "fn", "render", "--allow-exec", ".")
		require.NoError(t, err, stderr)
		files := map[string]string{}
		for _, name := range []string{"llminferenceservice.yaml", "maasmodelref_llamastack.yaml", "networkpolicy_llamastack.yaml"} {
			files[name] = readFile(t, filepath.Join(pkg, name))
		}
		require.Contains(t, files["maasmodelref_llamastack.yaml"], "kind: MaaSModelRef")
		require.Contains(t, files["networkpolicy_llamastack.yaml"], "kind: NetworkPolicy")
		_, stderr, err = run(t, pkg, kpt, "fn", "render", "--allow-exec", ".")
		require.NoError(t, err, stderr)
		for name, before := range files {
			require.Equal(t, before, readFile(t, filepath.Join(pkg, name)), "rendering again changed %s", name)
		}
		entries, err := os.ReadDir(pkg)
		require.NoError(t, err)
		require.Len(t, entries, 7, "no duplicate files for generated objects (Kptfile, functionConfig, service, program and start-up ConfigMaps, MaaSModelRef, NetworkPolicy)")

		// A new setting renames the start-up ConfigMap (its name carries its content's
		// hash); the old one goes, so the package never holds two.
		require.NoError(t, os.WriteFile(config, []byte(readFile(t, config)+"  tls: false\n"), 0o644))
		_, stderr, err = run(t, pkg, kpt, "fn", "render", "--allow-exec", ".")
		require.NoError(t, err, stderr)
		startup, err := filepath.Glob(filepath.Join(pkg, "configmap_llamastack-startup-*.yaml"))
		require.NoError(t, err)
		require.Len(t, startup, 1, "one start-up ConfigMap after a change")
		require.Contains(t, readFile(t, startup[0]), `"tls": null`)
		entries, err = os.ReadDir(pkg)
		require.NoError(t, err)
		require.Len(t, entries, 7)
	})
	t.Run("eval", func(t *testing.T) {
		pkg := copyPackage(t)
		_, stderr, err := run(t, pkg, kpt, "fn", "eval", ".", "--exec", "../../bin/llamastack-integration", "--", "provider=anthropic", "model=claude-sonnet-4-20250514", "tiers=free,premium")
		require.NoError(t, err, stderr)
		golden(t, filepath.Join(root, "testdata", "e2e", "kpt-eval.yaml"), readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")))
	})
	t.Run("eval error", func(t *testing.T) {
		pkg := copyPackage(t)
		before := readFile(t, filepath.Join(pkg, "llminferenceservice.yaml"))
		_, stderr, err := run(t, pkg, kpt, "fn", "eval", ".", "--exec", "../../bin/llamastack-integration", "--", "provider=azure-openai")
		require.Error(t, err)
		require.Contains(t, stderr, `data.provider: unknown provider "azure-openai"`)
		require.Equal(t, before, readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")), "a failed run changes no file")
	})
}

// finalName is the LLMInferenceService's name after the kustomization's namePrefix.
func finalName(t *testing.T, dir string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^namePrefix: (\S+)$`).FindStringSubmatch(readFile(t, filepath.Join(root, dir, "kustomization.yaml")))
	require.NotNil(t, m, "%s has a namePrefix", dir)
	return m[1] + "llamastack"
}

// copyPackage copies examples/kpt-package to <tmp>/examples/kpt-package with <tmp>/bin
// linked to the built binary, so the Kptfile's relative exec path resolves the same way.
func copyPackage(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(root, "bin"), filepath.Join(tmp, "bin")))
	pkg := filepath.Join(tmp, "examples", "kpt-package")
	require.NoError(t, os.CopyFS(pkg, os.DirFS(filepath.Join(root, "examples", "kpt-package"))))
	return pkg
}

// copyOverlay copies deploy/ to a temp dir (with bin/ linked) so a test can break an overlay.
func copyOverlay(t *testing.T, provider string) string {
	t.Helper()
	tmp := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(root, "bin"), filepath.Join(tmp, "bin")))
	require.NoError(t, os.CopyFS(filepath.Join(tmp, "deploy"), os.DirFS(filepath.Join(root, "deploy"))))
	return tmp
}

func run(t *testing.T, dir, name string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// golden compares actual with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, actual string) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(actual), 0o644))
		return
	}
	require.Equal(t, readFile(t, path), actual, "golden file %s differs; rerun with -update and review the diff", path)
}

// TestMakeRenderIsYAML: make render's stdout is exactly the overlay's rendering, so that it
// pipes into kubectl apply -f -, even when it rebuilds the function first.
func TestMakeRenderIsYAML(t *testing.T) {
	out, stderr, err := run(t, root, "make", "render", "OVERLAY=openai")
	require.NoError(t, err, stderr)
	require.Equal(t, readFile(t, filepath.Join(root, "testdata", "e2e", "openai.yaml")), out)
}

// TestKubectlKustomizeCannotRunTheFunction pins the errors the README quotes for users who
// try kubectl's built-in kustomize.
func TestKubectlKustomizeCannotRunTheFunction(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		testskip.Skip(t, "the kubectl kustomize errors the README quotes: kubectl is not on PATH")
	}
	readme := readFile(t, filepath.Join(root, "docs", "operations.md")) // where the README sends you
	_, stderr, err := run(t, root, "kubectl", "kustomize", "--enable-alpha-plugins", "--enable-exec", "deploy/overlays/openai")
	require.Error(t, err)
	require.Contains(t, stderr, "unknown flag: --enable-exec")
	require.Contains(t, readme, "`Error: unknown flag: --enable-exec`")
	_, stderr, err = run(t, root, "kubectl", "kustomize", "deploy/overlays/openai")
	require.Error(t, err)
	require.Contains(t, stderr, "external plugins disabled; unable to load external plugin 'LlamastackIntegration'")
	require.Contains(t, readme, "`error: external plugins disabled; unable to load external plugin 'LlamastackIntegration'`")
	_, stderr, err = run(t, root, kustomize, "build", "deploy/overlays/openai")
	require.Error(t, err)
	require.Contains(t, readme, "`"+strings.TrimSpace(stderr)+"`", "the docs quote kustomize's error without --enable-alpha-plugins")
}

// TestKptfileCommentWorks runs the command the Kptfile's comment gives, from the repository
// root, in a copy of the package.
func TestKptfileCommentWorks(t *testing.T) {
	if _, err := exec.LookPath("kpt"); err != nil {
		testskip.Skip(t, "the Kptfile comment's command: kpt is not on PATH")
	}
	pkg := copyPackage(t)
	comment := regexp.MustCompile(`(?m)^#   (cd examples/kpt-package && kpt fn render --allow-exec \.)$`).FindStringSubmatch(readFile(t, filepath.Join(pkg, "Kptfile")))
	require.NotNil(t, comment, "the Kptfile's comment gives the command")
	repo := filepath.Dir(filepath.Dir(pkg))
	_, stderr, err := run(t, repo, "bash", "-c", comment[1])
	require.NoError(t, err, stderr)
	require.Contains(t, readFile(t, filepath.Join(pkg, "llminferenceservice.yaml")), "name: OPENAI_API_KEY")
}
