package processor_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/llamastack-integration/llamastack-integration/fn/processor"
)

// go test ./fn/processor -update rewrites expected.yaml and errors.txt from the actual
// output; review the diff before committing.
var update = flag.Bool("update", false, "rewrite the golden files from the actual output")

// TestGolden runs every testdata/<case>/input.yaml ResourceList through the processor and
// compares the output ResourceList (items and results) with expected.yaml and the error
// with errors.txt, exactly. Cases named err-* must fail; the others must not.
func TestGolden(t *testing.T) {
	checker := frameworktestutil.ProcessorResultsChecker{
		Processor:                processor.New,
		UpdateExpectedFromActual: *update,
		ErrorAssertionFunc:       frameworktestutil.RequireStrippedStringsEqual,
	}
	checker.Assert(t)
	require.ElementsMatch(t, listedCases(t), checker.TestCasesRun(), "the cases run are exactly those listed in testdata/CASES")

	for _, dir := range caseDirs(t) {
		_, errExists := os.Stat(filepath.Join(dir, "errors.txt"))
		if strings.HasPrefix(filepath.Base(dir), "err-") {
			require.NoError(t, errExists, "%s is an error case and needs errors.txt", dir)
		} else {
			require.True(t, os.IsNotExist(errExists), "%s must not fail, but has errors.txt", dir)
		}
	}
}

// TestIdempotent runs the function on its own output: the items must come back byte for byte.
func TestIdempotent(t *testing.T) {
	for _, dir := range caseDirs(t) {
		if strings.HasPrefix(filepath.Base(dir), "err-") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			first, err := execute(t, readFile(t, filepath.Join(dir, "input.yaml")))
			require.NoError(t, err)
			second, err := execute(t, first)
			require.NoError(t, err)
			require.Equal(t, itemsOf(t, first), itemsOf(t, second))
		})
	}
}

// TestFailedRunLeavesInputUntouched checks that on any error no item is changed: the
// function checks every target before it changes one.
func TestFailedRunLeavesInputUntouched(t *testing.T) {
	for _, dir := range caseDirs(t) {
		if !strings.HasPrefix(filepath.Base(dir), "err-") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input := readFile(t, filepath.Join(dir, "input.yaml"))
			out, err := execute(t, input)
			require.Error(t, err)
			if out == "" {
				// Unreadable input: nothing is written, never half a document, and no result
				// (the error is the read error, not a framework.Results).
				var results framework.Results
				require.False(t, errors.As(err, &results), "an empty output goes with a read error: %v", err)
				return
			}
			require.Equal(t, itemsOf(t, input), itemsOf(t, out))
			require.Contains(t, out, "severity: error", "the output ResourceList carries the error results for kpt")
		})
	}
}

// TestNoSecretInResults plants canary values in a Secret's data and stringData and in a
// literal env value; no result may repeat them.
func TestNoSecretInResults(t *testing.T) {
	input := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: gemini-gemini-api-key, namespace: llm}
  data: {api-key: Y2FuYXJ5LWRhdGEtOTk3Nw==}
  stringData: {api-key: canary-stringdata-5521}
- apiVersion: serving.kserve.io/v1alpha1
  kind: LLMInferenceService
  metadata: {name: llamastack, namespace: llm}
  spec:
    template:
      containers:
      - name: main
        env:
        - {name: GEMINI_API_KEY, value: canary-env-value-3141}
functionConfig:
  apiVersion: llamastack.opendatahub.io/v1alpha1
  kind: LlamastackIntegration
  metadata: {name: gemini}
  spec: {provider: gemini}
`
	out, err := execute(t, input)
	require.NoError(t, err)
	results := out[strings.Index(out, "\nresults:"):]
	for _, canary := range []string{"canary-data-9977", "Y2FuYXJ5LWRhdGEtOTk3Nw==", "canary-stringdata-5521", "canary-env-value-3141"} {
		require.NotContains(t, results, canary)
	}
	require.NotContains(t, itemsOf(t, out), "canary-env-value-3141", "the literal key is replaced by the Secret reference")
	require.Contains(t, results, "had a literal value in the input")
}

func caseDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*/input.yaml")
	require.NoError(t, err)
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func execute(t *testing.T, input string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := framework.Execute(processor.New(), &kio.ByteReadWriter{Reader: strings.NewReader(input), Writer: &out})
	return out.String(), err
}

// itemsOf returns the items of a ResourceList, serialized, without functionConfig or results.
func itemsOf(t *testing.T, resourceList string) string {
	t.Helper()
	rw := &kio.ByteReadWriter{Reader: strings.NewReader(resourceList)}
	items, err := rw.Read()
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, kio.ByteWriter{Writer: &out}.Write(items))
	return out.String()
}

// listedCases reads testdata/CASES: the cases as TestCasesRun names them.
func listedCases(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "CASES"))
	require.NoError(t, err)
	var cases []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			cases = append(cases, filepath.Join("testdata", line))
		}
	}
	return cases
}
