package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files from the actual output")

const config = `apiVersion: llamastack.opendatahub.io/v1alpha1
kind: LlamastackIntegration
metadata: {name: gemini}
spec: {provider: gemini}
`

const service = `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata: {name: llamastack, namespace: llm}
spec: {}
`

func resourceList(items, fc string) string {
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + indentItem(items) + "functionConfig:\n" + indent(fc)
}

func resourceListOf(fc string, items ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for _, item := range items {
		b.WriteString(indentItem(item))
	}
	return b.String() + "functionConfig:\n" + indent(fc)
}

// anchorLevels is levels YAML anchors a0, a1, ... in a map at indent: a0 a list of width
// strings, each other a list of width aliases of the one before, and (with alias) a key bomb
// that aliases the last. Nine levels of nine name 9^9 strings in a few hundred bytes.
func anchorLevels(indent string, levels, width int, alias bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sa0: &a0 [%s]\n", indent, strings.TrimSuffix(strings.Repeat("x, ", width), ", "))
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "%sa%d: &a%d [%s]\n", indent, i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), width), ", "))
	}
	if alias {
		fmt.Fprintf(&b, "%sbomb: *a%d\n", indent, levels-1)
	}
	return b.String()
}

// configMapWith, serviceWith and configWith are the places of an alias bomb: an object the
// function leaves alone, and the two it reads whole.
func configMapWith(anchors func(indent string) string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: llm}\ndata:\n" + anchors("  ")
}

func serviceWith(anchors func(indent string) string) string {
	return "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: llamastack, namespace: llm}\nspec:\n  template:\n" + anchors("    ")
}

func configWith(anchors func(indent string) string) string {
	return "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: gemini}\nspec:\n  provider: gemini\n  settings:\n" + anchors("    ")
}

// shape is anchorLevels at any indent.
func shape(levels, width int, alias bool) func(string) string {
	return func(indent string) string { return anchorLevels(indent, levels, width, alias) }
}

var (
	deepBomb      = shape(9, 9, true) // the bomb: 9^9 strings
	bombConfigMap = configMapWith(deepBomb)
	bombService   = serviceWith(deepBomb)
	bombConfig    = configWith(deepBomb)
)

func indentItem(s string) string {
	if s == "" {
		return ""
	}
	return "- " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// TestCLI runs the program as kustomize and kpt do (ResourceList on stdin) and in its
// standalone form, and checks the exit code, that stdout is YAML (or empty), and stderr
// against testdata/cli/<case>.stderr exactly.
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	configFile := write("config.yaml", config)
	serviceFile := write("service.yaml", service)
	badConfigFile := write("bad-config.yaml", strings.Replace(config, "provider: gemini", "provider: gemni", 1))
	bombFile := write("bomb.yaml", service+"---\n"+bombConfigMap)
	bombConfigFile := write("bomb-config.yaml", bombConfig)

	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		exit   int
		stdout string // "resourcelist", "yaml", "empty", or text it must contain
		holds  string // text stdout must also hold
	}{
		{name: "ok", stdin: resourceList(service, config), exit: 0, stdout: "resourcelist"},
		{name: "quiet", stdin: resourceList(service, strings.Replace(config, "{provider: gemini}", "{provider: gemini, quiet: true}", 1)), exit: 0, stdout: "resourcelist"},
		{name: "again", args: []string{configFile, "-"}, stdin: rendered(t, service, config), exit: 0, stdout: "yaml"},
		{name: "unknown-provider", stdin: resourceList(service, strings.Replace(config, "provider: gemini", "provider: gemni", 1)), exit: 1, stdout: "resourcelist"},
		{name: "several-errors", stdin: resourceList(service, "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: openai, tiers: free, gateway: {namespace: Bad_NS}}\n"), exit: 1, stdout: "resourcelist"},
		{name: "warnings", stdin: resourceList(service, "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\nspec: {provider: openai, model: gpt-6-preview, image: 'quay.io/x/ls:latest'}\n"), exit: 0, stdout: "resourcelist"},
		{name: "malformed", stdin: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [\n", exit: 1, stdout: "empty"},
		{name: "no-llminferenceservice", stdin: resourceList("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", config), exit: 1, stdout: "resourcelist"},
		{name: "standalone", args: []string{configFile, serviceFile}, exit: 0, stdout: "yaml"},
		{name: "standalone-stdin", args: []string{configFile, "-"}, stdin: service, exit: 0, stdout: "yaml"},
		{name: "standalone-error", args: []string{badConfigFile, serviceFile}, exit: 1, stdout: "empty"},
		{name: "standalone-missing-file", args: []string{configFile, filepath.Join(dir, "nope.yaml")}, exit: 1, stdout: "empty"},
		{name: "unknown-flag", args: []string{"--frobnicate"}, exit: 2, stdout: "empty"},
		{name: "help", args: []string{"--help"}, exit: 0, stdout: "kpt fn eval --exec llamastack-integration"},
		{name: "version", args: []string{"--version"}, exit: 0, stdout: "llamastack-integration dev\n"},
		{name: "schema", args: []string{"--schema"}, exit: 0, stdout: `"title": "LlamastackIntegration"`},
		{name: "help-reference", args: []string{"--help"}, exit: 0, stdout: "spec.maas.subscription.tokenRateLimits[].window (string, required)"},
		// On an error, stdout is empty or one whole ResourceList, never plain resources.
		{name: "plain-documents", stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n" + service, exit: 1, stdout: "empty"},
		{name: "plain-object", stdin: service, exit: 1, stdout: "empty"},
		// The ResourceList holds an alias bomb: the framing check must not expand it.
		{name: "resourcelist-and-more", stdin: resourceListOf(config, service, bombConfigMap) + "---\n" + service, exit: 1, stdout: "empty"},
		{name: "resourcelist-between-separators", stdin: "---\n" + resourceList(service, config) + "---\n# end\n", exit: 0, stdout: "resourcelist"},
		// An alias bomb passes through an object the function does not change, and is refused
		// in one it reads whole.
		{name: "alias-bomb", stdin: resourceListOf(config, service, bombConfigMap), exit: 0, stdout: "resourcelist", holds: "a8: &a8 [*a7, *a7"},
		{name: "alias-bomb-in-service", stdin: resourceListOf(config, bombService), exit: 1, stdout: "resourcelist"},
		{name: "alias-bomb-standalone", args: []string{configFile, bombFile}, exit: 0, stdout: "yaml", holds: "a8: &a8 [*a7, *a7"},
		{name: "metadata-alias", stdin: resourceListOf(config, service, "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: c, namespace: llm}\n", "apiVersion: v1\nkind: Secret\nmetadata: *m\n"), exit: 1, stdout: "empty"},
		{name: "alias-bomb-in-config-standalone", args: []string{bombConfigFile, serviceFile}, exit: 1, stdout: "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkCLI(t, dir, tc.name, tc.args, tc.stdin, tc.exit, tc.stdout, tc.holds) })
	}
}

// checkCLI runs the CLI on args and stdin and checks its exit code, its stdout ("resourcelist",
// "yaml", "empty", or text it must contain, and holds), and its stderr against the golden file.
func checkCLI(t *testing.T, dir, name string, args []string, stdin string, exit int, want, holds string) {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	require.Equal(t, exit, code, "exit code; stderr: %s", stderr.String())
	switch want {
	case "empty":
		require.Empty(t, stdout.String())
	case "resourcelist", "yaml":
		node, err := yaml.Parse(stdout.String())
		require.NoError(t, err, "stdout is YAML")
		if want == "resourcelist" {
			require.Equal(t, "ResourceList", node.GetKind())
		} else {
			require.Equal(t, "LLMInferenceService", node.GetKind())
			require.NotContains(t, stdout.String(), "config.kubernetes.io/", "standalone output carries no function annotations")
		}
	default:
		require.Contains(t, stdout.String(), want)
	}
	require.Contains(t, stdout.String(), holds)
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		if line != "" {
			require.True(t, strings.HasPrefix(line, "llamastack-integration: "), "every stderr line names the function: %q", line)
		}
	}
	require.NotContains(t, stderr.String(), "goroutine", "no Go stack trace")
	golden(t, filepath.Join("testdata", "cli", name+".stderr"), strings.ReplaceAll(stderr.String(), dir, "$TMP"))
}

// TestSecretNeverOnStderr plants canaries in a Secret and a literal env value, then fails
// the run on purpose: neither may reach stderr.
func TestSecretNeverOnStderr(t *testing.T) {
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: gemini-gemini-api-key}\nstringData: {api-key: canary-3c1f0}\n"
	svc := "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: llamastack}\nspec:\n  template:\n    containers:\n    - name: main\n      env:\n      - {name: GEMINI_API_KEY, value: canary-env-77d1}\n      - {name: GEMINI_API_KEY, value: canary-env-77d1}\n"
	input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + indentItem(secret) + indentItem(svc) + "functionConfig:\n" + indent(config)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, run(nil, strings.NewReader(input), &stdout, &stderr))
	require.Contains(t, stderr.String(), "env[name=GEMINI_API_KEY]: is defined twice")
	require.NotContains(t, stderr.String(), "canary")
	require.NotContains(t, stdout.String()[strings.Index(stdout.String(), "results:"):], "canary")
}

// TestCredentialInTheFunctionConfigIsNeverEchoed: a key pasted into a name field, a setting
// that is a credential, or a URL with a password is reported by its path only, and the
// ResourceList written back for kpt carries the functionConfig with the value redacted.
func TestCredentialInTheFunctionConfigIsNeverEchoed(t *testing.T) {
	for _, tc := range []struct{ name, fc, path string }{
		{"key as the Secret's name", "spec: {provider: openai, apiKeySecret: {name: sk-proj-Canary0123456789AbCdEf}}", "spec.apiKeySecret.name"},
		{"key in a list", "spec: {providers: [{provider: openai}, {provider: gemini, apiKeySecret: {name: AIzaSyCanary0123456789AbCdEf}}]}", "spec.providers[1].apiKeySecret.name"},
		{"credential setting", "spec: {provider: vllm, model: m, settings: {VLLM_URL: 'http://v:8000/v1', VLLM_API_TOKEN: Canary-token-0123}}", "spec.settings.VLLM_API_TOKEN"},
		{"url with a password", "spec: {provider: ollama, settings: {OLLAMA_URL: 'http://admin:Canary-pw@ollama:11434/v1'}}", "spec.settings.OLLAMA_URL"},
		{"ConfigMap form", "", "data.apiKeySecret.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := "apiVersion: llamastack.opendatahub.io/v1alpha1\nkind: LlamastackIntegration\nmetadata: {name: x}\n" + tc.fc + "\n"
			if tc.fc == "" {
				fc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {provider: openai, apiKeySecret.name: sk-proj-Canary0123456789AbCdEf}\n"
			}
			var stdout, stderr bytes.Buffer
			require.Equal(t, 1, run(nil, strings.NewReader(resourceList(service, fc)), &stdout, &stderr))
			require.Contains(t, stderr.String(), tc.path+": ")
			require.NotContains(t, strings.ToLower(stderr.String()+stdout.String()), "canary")
			require.Contains(t, stdout.String(), "<redacted: ")
		})
	}
}

// rendered is service after one run of the function (its standalone form) with config.
func rendered(t *testing.T, service, config string) string {
	t.Helper()
	dir := t.TempDir()
	configFile, serviceFile := filepath.Join(dir, "fn.yaml"), filepath.Join(dir, "svc.yaml")
	require.NoError(t, os.WriteFile(configFile, []byte(config), 0o644))
	require.NoError(t, os.WriteFile(serviceFile, []byte(service), 0o644))
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{configFile, serviceFile}, nil, &stdout, &stderr), stderr.String())
	return stdout.String()
}

func golden(t *testing.T, path, actual string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(actual), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./fn -update")
	require.Equal(t, string(want), actual)
}

// TestCatalogue runs every case of fn/processor/testdata through the program as kustomize
// and kpt do. Error cases (err-*) exit 1 with stdout empty or a well-formed ResourceList
// carrying the error results; the others exit 0. stderr is compared with the case's
// stderr.txt exactly, and never holds a Go stack trace.
func TestCatalogue(t *testing.T) {
	inputs, err := filepath.Glob("processor/testdata/*/input.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, inputs) // fn/processor's TestGolden holds the list of cases
	errorCases := 0
	for _, input := range inputs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in, err := os.ReadFile(input)
			require.NoError(t, err)
			var stdout, stderr bytes.Buffer
			code := run(nil, bytes.NewReader(in), &stdout, &stderr)
			if strings.HasPrefix(filepath.Base(dir), "err-") {
				errorCases++
				require.Equal(t, 1, code)
				require.NotEmpty(t, stderr.String())
				if stdout.Len() > 0 {
					rl, err := yaml.Parse(stdout.String())
					require.NoError(t, err, "stdout is a whole document")
					require.Equal(t, "ResourceList", rl.GetKind())
					require.Contains(t, stdout.String(), "severity: error")
				}
			} else {
				require.Equal(t, 0, code, stderr.String())
			}
			require.NotContains(t, stderr.String(), "goroutine ")
			require.NotContains(t, stderr.String(), "panic")
			golden(t, filepath.Join(dir, "stderr.txt"), stderr.String())
		})
	}
	require.Equal(t, strings.Count(readFileString(t, "processor/testdata/CASES"), "\nerr-"), errorCases, "every listed error case ran")
}

// TestConfigNamedLikeASubcommand: after --, a functionConfig file named version (or help,
// install, schema) is read as the functionConfig.
func TestConfigNamedLikeASubcommand(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"version", "help", "schema"} {
		path := filepath.Join(dir, sub)
		require.NoError(t, os.WriteFile(path, []byte(config), 0o644))
		var stdout, stderr bytes.Buffer
		in := "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: llamastack, namespace: llm}\n"
		require.Equal(t, 0, run([]string{"--", path, "-"}, strings.NewReader(in), &stdout, &stderr), stderr.String())
		require.Contains(t, stdout.String(), "kind: LLMInferenceService", sub)
	}
}

// TestHelpShowsAnExampleAndExitCodes: --help shows a runnable example and the exit codes.
func TestHelpShowsAnExampleAndExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"--help"}, strings.NewReader(""), &stdout, &stderr))
	require.Contains(t, stdout.String(), "Example (standalone)")
	require.Contains(t, stdout.String(), "Exit codes: 0 success")
}

// TestInputFraming: every framing mistake gets an error that says what is wrong, never a
// misleading one, and stdout stays empty.
func TestInputFraming(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	base := write("base.yaml", "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: llamastack, namespace: llm}\n")
	for _, tc := range []struct {
		name, stdin, stderr string
		args                []string
		code                int
	}{
		{name: "config with an empty first document", args: []string{write("leading.yaml", "---\n"+config), base}, code: 0},
		{name: "config with two documents", args: []string{write("two.yaml", config+"---\n"+config), base}, code: 1,
			stderr: "holds 2 documents; give exactly one LlamastackIntegration (resources go after it on the command line)"},
		{name: "empty config", args: []string{write("empty.yaml", "---\n"), base}, code: 1, stderr: "holds no document; give one LlamastackIntegration"},
		{name: "a ResourceList followed by more documents", stdin: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n" + indent(config) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
			code: 1, stderr: "the input is a ResourceList followed by 1 more document(s); send one ResourceList"},
		{name: "one ResourceList whose first item is a ResourceList", stdin: "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: config.kubernetes.io/v1, kind: ResourceList, metadata: {name: inner}}\n- {apiVersion: serving.kserve.io/v1alpha1, kind: LLMInferenceService, metadata: {name: llamastack, namespace: llm}}\nfunctionConfig:\n" + indent(config),
			code: 0},
		{name: "a kubectl List in standalone mode", args: []string{write("fn.yaml", config), write("list.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: serving.kserve.io/v1alpha1\n  kind: LLMInferenceService\n  metadata: {name: llamastack, namespace: llm}\n")}, code: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, tc.code, run(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr), stderr.String())
			if tc.code != 0 {
				require.Empty(t, stdout.String())
				require.Contains(t, stderr.String(), tc.stderr)
				require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %s", stderr.String())
			} else {
				require.Contains(t, stdout.String(), "name: GEMINI_API_KEY")
			}
		})
	}
}

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// BenchmarkAliasBombs runs the program on alias bombs of several shapes, in each place and
// mode: each must pass through (in a ConfigMap) or fail with an error (where the function
// reads it whole), in well under 50 MB and 1 s. near-limit is the costliest input the function
// accepts: aliases that expand an LLMInferenceService by 8,289 nodes, under the limit of 10,000.
func BenchmarkAliasBombs(b *testing.B) {
	dir := b.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(b, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	shapes := []struct {
		name   string
		levels func(string) string
	}{
		{"deep", deepBomb},                 // 9 levels of 9
		{"wide", shape(2, 3000, true)},     // 3,000 aliases of 3,000 strings
		{"narrow", shape(40, 2, true)},     // 40 levels of 2
		{"near-limit", shape(4, 9, false)}, // 8,289 nodes: accepted
	}
	type bench struct {
		name  string
		args  []string
		stdin string
		exit  int
	}
	var benches []bench
	for _, s := range shapes {
		serviceExit := 1
		if s.name == "near-limit" {
			serviceExit = 0
		}
		benches = append(benches,
			bench{"resourcelist/configmap/" + s.name, nil, resourceListOf(config, service, configMapWith(s.levels)), 0},
			bench{"resourcelist/service/" + s.name, nil, resourceListOf(config, serviceWith(s.levels)), serviceExit},
			// The settings are lists, not strings: refused after the aliases are resolved.
			bench{"resourcelist/functionconfig/" + s.name, nil, resourceListOf(configWith(s.levels), service), 1},
			bench{"standalone/configmap/" + s.name, []string{write("config.yaml", config), write(s.name+"-cm.yaml", service+"---\n"+configMapWith(s.levels))}, "", 0},
			bench{"standalone/service/" + s.name, []string{write("config.yaml", config), write(s.name+"-svc.yaml", serviceWith(s.levels))}, "", serviceExit},
			bench{"standalone/functionconfig/" + s.name, []string{write(s.name+"-fc.yaml", configWith(s.levels)), write("svc.yaml", service)}, "", 1},
		)
	}
	// Many objects whose labels alias one map of nine labels (19 nodes): refused once they
	// add up to the limit, at the 527th. (Each item costs about 100 KB through kyaml,
	// aliases or not, so this input is kept small.)
	labels := "{" + strings.TrimSuffix(strings.Repeat("k: v, ", 9), ", ") + "}"
	for i := range 9 {
		labels = strings.Replace(labels, "k:", fmt.Sprintf("k%d:", i), 1)
	}
	many := []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: common, namespace: llm, labels: &common " + labels + "}\n", service}
	for i := range 600 {
		many = append(many, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: llm, labels: *common}\n", i))
	}
	benches = append(benches, bench{"resourcelist/many-items", nil, resourceListOf(config, many...), 1})
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var stderr bytes.Buffer
				if code := run(bc.args, strings.NewReader(bc.stdin), io.Discard, &stderr); code != bc.exit {
					b.Fatalf("exit %d, want %d: %s", code, bc.exit, stderr.String())
				}
			}
		})
	}
}
