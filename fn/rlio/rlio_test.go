package rlio_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/llamastack-integration/llamastack-integration/bench/resourcelist"
	"github.com/llamastack-integration/llamastack-integration/fn/processor"
	"github.com/llamastack-integration/llamastack-integration/fn/rlio"
)

// tricky are ResourceLists whose writing could differ item by item: comments before, in and
// after items, literal blocks with empty lines and trailing spaces, flow and quoted styles,
// no items, anchors (written by kyaml's writer), and document markers inside strings.
var tricky = map[string]string{
	"comments": `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# before the first item
- apiVersion: v1 # on the line
  kind: ConfigMap
  # inside
  metadata: {name: a, namespace: llm}
  data:
    script: |
      line one

        indented, after an empty line
      trailing spaces   
    flow: {a: [1, 2]}
    quoted: "a\tb"
    marker: "---"
# between items
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: b
    annotations: {}
  data:
    long: "` + strings.Repeat("word ", 60) + `"
# after the last item
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: fc} # trailing
  data: {x: "1"}
`,
	"empty": "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
	"anchors": `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a, labels: &common {team: x}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b, labels: *common}
`,
}

// TestSameBytesAsKyaml: the function's writer gives kyaml's bytes, with the function and with
// a processor that changes nothing, on every catalogue input, the benchmark's inputs and the
// tricky ones. Break writeResourceList (drop the strip of "items:", say) and this fails.
func TestSameBytesAsKyaml(t *testing.T) {
	inputs := map[string][]byte{"bench": resourcelist.Generate(300), "services": resourcelist.WithServices(200, 20)}
	for name, input := range tricky {
		inputs[name] = []byte(input)
	}
	cases, err := filepath.Glob("../processor/testdata/*/input.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, path := range cases {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		inputs[filepath.Base(filepath.Dir(path))] = b
	}
	noop := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	for name, input := range inputs {
		for _, p := range []struct {
			name string
			new  func() framework.ResourceListProcessor
		}{{"function", processor.New}, {"noop", func() framework.ResourceListProcessor { return noop }}} {
			t.Run(name+"/"+p.name, func(t *testing.T) {
				want, wantErr := run(framework.Execute, p.new(), input)
				got, gotErr := run(rlio.Execute, p.new(), input)
				require.Equal(t, wantErr != nil, gotErr != nil)
				require.Equal(t, want, got)
			})
		}
	}
}

func run(execute func(framework.ResourceListProcessor, *kio.ByteReadWriter) error, p framework.ResourceListProcessor, input []byte) (string, error) {
	var out bytes.Buffer
	err := execute(p, &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: &out, KeepReaderAnnotations: true})
	return out.String(), err
}
