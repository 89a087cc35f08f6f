package main

import (
	"bytes"
	"flag"
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

	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		exit   int
		stdout string // "resourcelist", "yaml", "empty", or text it must contain
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr)
			require.Equal(t, tc.exit, code, "exit code; stderr: %s", stderr.String())
			switch tc.stdout {
			case "empty":
				require.Empty(t, stdout.String())
			case "resourcelist", "yaml":
				node, err := yaml.Parse(stdout.String())
				require.NoError(t, err, "stdout is YAML")
				if tc.stdout == "resourcelist" {
					require.Equal(t, "ResourceList", node.GetKind())
				} else {
					require.Equal(t, "LLMInferenceService", node.GetKind())
					require.NotContains(t, stdout.String(), "config.kubernetes.io/", "standalone output carries no function annotations")
				}
			default:
				require.Contains(t, stdout.String(), tc.stdout)
			}
			for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
				if line != "" {
					require.True(t, strings.HasPrefix(line, "llamastack-integration: "), "every stderr line names the function: %q", line)
				}
			}
			require.NotContains(t, stderr.String(), "goroutine", "no Go stack trace")
			golden(t, filepath.Join("testdata", "cli", tc.name+".stderr"), strings.ReplaceAll(stderr.String(), dir, "$TMP"))
		})
	}
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
