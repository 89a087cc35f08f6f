package processor_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
		out[n.GetApiVersion()+"/"+n.GetKind()+"/"+n.GetNamespace()+"/"+n.GetName()] = true
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
