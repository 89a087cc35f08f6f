package processor_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/processor"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// seeds adds every golden input to the fuzz corpus.
func seeds(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*/input.yaml")
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err == nil {
			f.Add(b)
		}
	}
}

// FuzzProcessor feeds arbitrary ResourceList bytes to the function. It must never panic;
// it either fails with error results (or a read error and no output), or its output parses,
// keeps every input item's identity, and is a fixed point: processing it again changes nothing.
// make fuzz runs it; crashers land in testdata/fuzz/FuzzProcessor and stay as regression cases.
func FuzzProcessor(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		out, err := run(input)
		if err != nil {
			var results framework.Results
			if errors.As(err, &results) {
				if results.ExitCode() == 0 {
					t.Fatalf("an error without an error result would exit 0: %v", err)
				}
			} else if len(out) > 0 {
				t.Fatalf("a read error must write nothing, wrote %d bytes", len(out))
			}
			return
		}
		before, errBefore := ids(input)
		after, errAfter := ids(out)
		if errBefore != nil || errAfter != nil {
			t.Fatalf("output does not parse: %v / %v", errBefore, errAfter)
		}
		for id := range before {
			if !after[id] && !strings.HasPrefix(id, "v1/List/") {
				t.Fatalf("item %s was lost", id)
			}
		}
		if problem := kubectlReadsDifferently(out); problem != "" {
			t.Fatal(problem)
		}
		again, err := run(out)
		if err != nil {
			t.Fatalf("processing the output again failed: %v", err)
		}
		if items(again) != items(out) {
			t.Fatalf("not a fixed point:\n%s\n---\n%s", items(out), items(again))
		}
	})
}

// FuzzConfig feeds arbitrary functionConfig bytes to the loader: no panic, and a config only
// without errors, with at least one provider.
func FuzzConfig(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*/input.yaml")
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			continue
		}
		rl, err := yaml.Parse(string(b))
		if err != nil {
			continue
		}
		if fc := rl.Field("functionConfig"); fc != nil {
			f.Add([]byte(fc.Value.MustString()))
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		node, err := yaml.Parse(string(doc))
		if err != nil {
			return
		}
		cfg, _, errs, _ := config.Load(node)
		if cfg != nil && (len(errs) > 0 || len(cfg.Providers) == 0) {
			t.Fatalf("a config came back with %d errors and %d providers", len(errs), len(cfg.Providers))
		}
		if cfg == nil && len(errs) == 0 {
			t.Fatal("no config and no error")
		}
	})
}

// readingLimit is the most YAML nodes that the aliases of an object that
// kubectlReadsDifferently reads may expand to.
const readingLimit = 10_000

// kubectlReadsDifferently checks each object the function wrote (the services it changed and
// the objects it generated): no key twice, and kubectl, which reads YAML 1.1 through
// sigs.k8s.io/yaml, reads the same data as the function meant (no "on" read as a boolean, no
// "0x1F" as a number).
func kubectlReadsDifferently(resourceList []byte) string {
	nodes, err := (&kio.ByteReadWriter{Reader: bytes.NewReader(resourceList), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return "output does not parse: " + err.Error()
	}
	for _, n := range nodes {
		if n.GetKind() != processor.LLMInferenceServiceKind && n.GetAnnotations()[v1alpha1.GeneratedForAnnotation] == "" {
			continue
		}
		if aliases := yamlnode.NewAliases(readingLimit); aliases.Cost(n.YNode()) > aliases.Limit() {
			// The JSON readers below expand aliases: an input item that passed through with
			// an alias bomb (one with the generated-for annotation that the function did
			// not replace) would exhaust memory here, not in the function.
			continue
		}
		if dups := yamlnode.DuplicateKeys(n.YNode()); len(dups) > 0 {
			return fmt.Sprintf("%s %s: output sets %v twice", n.GetKind(), n.GetName(), dups)
		}
		meant, err := n.MarshalJSON()
		if err != nil {
			return "cannot read the output as JSON: " + err.Error()
		}
		read, err := sigsyaml.YAMLToJSON([]byte(n.MustString()))
		if err != nil {
			return "kubectl cannot read the output: " + err.Error()
		}
		var a, b any
		if json.Unmarshal(meant, &a) != nil || json.Unmarshal(read, &b) != nil || !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("kubectl reads %s %s differently:\nmeant %s\nread  %s", n.GetKind(), n.GetName(), meant, read)
		}
	}
	return ""
}

func run(input []byte) ([]byte, error) {
	var out bytes.Buffer
	err := framework.Execute(processor.New(), &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: &out})
	return out.Bytes(), err
}

func ids(resourceList []byte) (map[string]bool, error) {
	nodes, err := (&kio.ByteReadWriter{Reader: bytes.NewReader(resourceList), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range nodes {
		out[identity(n)] = true
	}
	return out, nil
}

func items(resourceList []byte) string {
	nodes, err := (&kio.ByteReadWriter{Reader: bytes.NewReader(resourceList)}).Read()
	if err != nil {
		return "unparseable: " + err.Error()
	}
	var b strings.Builder
	_ = kio.ByteWriter{Writer: &b}.Write(nodes)
	return b.String()
}

// allocationLimit bounds what one run of the function may allocate on the small inputs of
// FuzzAliases, whatever their aliases: the function resolves at most 10,000 nodes per input
// and refuses more.
const allocationLimit = 32 << 20

// FuzzAliases runs the function on an alias DAG built from the fuzzer's numbers (how many
// levels, how wide, where in the input, and a seed for which alias names what). The run must
// succeed or fail with error results, never allocate more than allocationLimit, and, when it
// succeeds, leave no alias in an LLMInferenceService.
func FuzzAliases(f *testing.F) {
	for where := range aliasPlaces {
		f.Add(uint8(9), uint8(9), uint8(where), uint64(1))
		f.Add(uint8(3), uint8(4), uint8(where), uint64(2))
	}
	f.Fuzz(func(t *testing.T, levels, width, where uint8, seed uint64) {
		checkAliases(t, aliasInput(int(levels%16)+1, int(width%16)+1, int(where)%len(aliasPlaces), seed))
	})
}

// TestAliasDAGs is FuzzAliases's property on 200 fixed random DAGs.
func TestAliasDAGs(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 1))
	for i := range 200 {
		input := aliasInput(1+r.IntN(12), 1+r.IntN(12), r.IntN(len(aliasPlaces)), r.Uint64())
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkAliases(t, input) })
	}
}

func checkAliases(t *testing.T, input []byte) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := run(input)
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > allocationLimit {
		t.Fatalf("allocated %d MB on a %d-byte input:\n%s", allocated>>20, len(input), input)
	}
	var results framework.Results
	if err != nil && (!errors.As(err, &results) || results.ExitCode() == 0) {
		t.Fatalf("not an error result: %v\n%s", err, input)
	}
	if err != nil {
		return
	}
	nodes, err := (&kio.ByteReadWriter{Reader: bytes.NewReader(out)}).Read()
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	for _, n := range nodes {
		if n.GetKind() == processor.LLMInferenceServiceKind && yamlnode.NewAliases(10).Cost(n.YNode()) > 0 {
			t.Fatalf("an alias is left in the LLMInferenceService:\n%s", n.MustString())
		}
	}
}

// aliasPlaces are where aliasInput puts the DAG (anchors, and an alias of the last one).
var aliasPlaces = []struct{ anchors, alias string }{
	{"configmap data", "configmap data"},
	{"configmap data", "configmap labels"},
	{"service spec", "service spec"},
	{"configmap data", "service annotations"},
	{"functionConfig settings", "functionConfig settings"},
	{"configmap data", "many items"},
}

// aliasInput is a ResourceList with levels anchors a0, a1, ...: each a list or a map of width
// scalars (a0) or aliases of earlier anchors, most of the one just before, chosen by seed.
func aliasInput(levels, width, where int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 18))
	var anchors strings.Builder
	for i := range levels {
		var elems []string
		for k := range width {
			value := "x"
			if i > 0 {
				value = fmt.Sprintf("*a%d", max(0, i-1-r.IntN(3)*r.IntN(2)))
			}
			if i%2 == 1 {
				value = fmt.Sprintf("k%d: %s", k, value)
			}
			elems = append(elems, value)
		}
		if i%2 == 1 {
			fmt.Fprintf(&anchors, "      a%d: &a%d {%s}\n", i, i, strings.Join(elems, ", "))
		} else {
			fmt.Fprintf(&anchors, "      a%d: &a%d [%s]\n", i, i, strings.Join(elems, ", "))
		}
	}
	place := aliasPlaces[where]
	at := func(name string, indent int) string {
		var s string
		if place.anchors == name {
			s += strings.ReplaceAll(anchors.String(), "\n      ", "\n"+strings.Repeat(" ", indent))
			s = strings.Repeat(" ", indent) + strings.TrimPrefix(s, "      ")
		}
		if place.alias == name {
			s += fmt.Sprintf("%sbomb: *a%d\n", strings.Repeat(" ", indent), levels-1)
		}
		return s
	}
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	fmt.Fprintf(&b, "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: anchors, namespace: llm}\n  data:\n    x: y\n%s", at("configmap data", 4))
	fmt.Fprintf(&b, "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: dag\n    namespace: llm\n")
	if place.alias == "configmap labels" {
		fmt.Fprintf(&b, "    labels: *a%d\n", levels-1)
	}
	if place.alias == "many items" {
		for i := range 50 {
			fmt.Fprintf(&b, "- {apiVersion: v1, kind: ConfigMap, metadata: {name: c%d, namespace: llm, annotations: *a%d}}\n", i, levels-1)
		}
	}
	fmt.Fprintf(&b, "- apiVersion: serving.kserve.io/v1alpha1\n  kind: LLMInferenceService\n  metadata:\n    name: llamastack\n    namespace: llm\n")
	if place.alias == "service annotations" {
		fmt.Fprintf(&b, "    annotations: *a%d\n", levels-1)
	}
	fmt.Fprintf(&b, "  spec:\n    replicas: 1\n%s", at("service spec", 4))
	fmt.Fprintf(&b, "functionConfig:\n  apiVersion: llamastack.opendatahub.io/v1alpha1\n  kind: LlamastackIntegration\n  metadata: {name: dag}\n  spec:\n    provider: gemini\n")
	if s := at("functionConfig settings", 6); s != "" {
		fmt.Fprintf(&b, "    settings:\n%s", s)
	}
	return []byte(b.String())
}
