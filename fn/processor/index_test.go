package processor

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/generate"
)

// TestIndexAnswersAsScans runs the apply step's item changes (remove an earlier render's
// start-up ConfigMaps, then upsert a generated object) through the index and through plain
// scans of the item list in order, and requires the same items: the index must not change
// what the function writes, whatever the input repeats.
func TestIndexAnswersAsScans(t *testing.T) {
	const mark = "annotations: {llamastack.opendatahub.io/generated-for: svc}"
	for _, tc := range []struct {
		name      string
		items     []string
		generated []string // upserted in turn; a start-up ConfigMap first removes the others
	}{{
		name:      "an earlier render's start-up ConfigMap goes, others stay in order",
		items:     []string{cm("svc-startup-0000000000", "llm", mark), cm("svc-startup-0000000000", "other", mark), cm("svc-startup-1111111111", "llm", ""), cm("mine", "llm", "")},
		generated: []string{cm("svc-startup-2222222222", "llm", mark)},
	}, {
		name:      "a repeated identity: the first is replaced, the second kept",
		items:     []string{cm("a", "llm", ""), cm("b", "llm", mark), cm("a", "llm", mark)},
		generated: []string{cm("a", "llm", mark+", labels: {x: y}")},
	}, {
		name:      "a repeated identity whose first item went: the second is found",
		items:     []string{cm("svc-startup-0000000000", "llm", mark), cm("svc-startup-0000000000", "llm", "labels: {user: owned}")},
		generated: []string{cm("svc-startup-2222222222", "llm", mark), cm("svc-startup-0000000000", "llm", mark+", labels: {x: y}")},
	}, {
		name:      "an object generated twice is added once, then replaced in place",
		items:     []string{cm("mine", "llm", "")},
		generated: []string{cm("np", "llm", mark), cm("np", "llm", mark), cm("np", "llm", mark+", labels: {x: y}"), cm("after", "llm", mark)},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			scanned := parse(t, tc.items)
			indexed := newIndex(parse(t, tc.items))
			for _, obj := range parse(t, tc.generated) {
				if generate.IsStartupConfigMap(obj, "svc") {
					scanned = slices.DeleteFunc(scanned, func(item *yaml.RNode) bool {
						return item.GetNamespace() == obj.GetNamespace() && item.GetName() != obj.GetName() && generate.IsStartupConfigMap(item, "svc")
					})
					indexed.removeOtherStartups(obj, "svc")
				}
				var did bool
				scanned, did = scanUpsert(scanned, obj.Copy())
				require.Equal(t, did, upsert(indexed, obj.Copy()))
			}
			require.Equal(t, write(t, scanned), write(t, indexed.list()))
		})
	}
}

// TestEarlierStartupRemoved renders a package that holds the start-up ConfigMap of an
// earlier render (kpt's in-place packages): that one goes, and only that one. (Not a golden
// case: the properties of every golden case require that no input item is dropped.)
func TestEarlierStartupRemoved(t *testing.T) {
	const generated = "annotations: {llamastack.opendatahub.io/generated-for: llamastack}"
	items := []string{
		"{apiVersion: serving.kserve.io/v1alpha1, kind: LLMInferenceService, metadata: {name: llamastack, namespace: llm}}",
		cm("llamastack-startup-0123456789", "llm", generated), // the earlier render's: it goes
		cm("llamastack-startup-abcdefabcd", "llm", ""),        // not the function's
		cm("other-startup-0123456789", "llm", "annotations: {llamastack.opendatahub.io/generated-for: other}"),
		cm("llamastack-startup-0123456789", "elsewhere", generated), // another namespace
		cm("llamastack-startup-notahash00", "llm", generated),       // not a hash
		"{apiVersion: v1, kind: Service, metadata: {name: after, namespace: llm}}",
	}
	rl := &framework.ResourceList{Items: parse(t, items), FunctionConfig: yaml.MustParse(
		"{apiVersion: llamastack.opendatahub.io/v1alpha1, kind: LlamastackIntegration, metadata: {name: fc}, spec: {provider: gemini}}")}
	require.NoError(t, New().Process(rl))
	var names []string
	for _, item := range rl.Items {
		names = append(names, item.GetNamespace()+"/"+item.GetName())
	}
	require.Equal(t, []string{"llm/llamastack", "llm/llamastack-startup-abcdefabcd", "llm/other-startup-0123456789",
		"elsewhere/llamastack-startup-0123456789", "llm/llamastack-startup-notahash00", "llm/after"}, names[:len(names)-2])
	require.Regexp(t, `^llm/llamastack-program-[0-9a-f]{10}$`, names[len(names)-2])
	require.Regexp(t, `^llm/llamastack-startup-[0-9a-f]{10}$`, names[len(names)-1])
	require.NotEqual(t, "llm/llamastack-startup-0123456789", names[len(names)-1])
}

// scanUpsert is upsert as a scan of the items in order.
func scanUpsert(items []*yaml.RNode, obj *yaml.RNode) ([]*yaml.RNode, bool) {
	for i, item := range items {
		if identityOf(item) == identityOf(obj) {
			if equivalent(item, obj) {
				return items, false
			}
			items[i] = obj
			return items, true
		}
	}
	return append(items, obj), true
}

func cm(name, namespace, metadata string) string {
	return "{apiVersion: v1, kind: ConfigMap, metadata: {name: " + name + ", namespace: " + namespace + ", " + metadata + "}}"
}

func parse(t *testing.T, objects []string) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, o := range objects {
		out = append(out, yaml.MustParse(o))
	}
	return out
}

func write(t *testing.T, items []*yaml.RNode) string {
	t.Helper()
	var out strings.Builder
	require.NoError(t, kio.ByteWriter{Writer: &out}.Write(items))
	return out.String()
}

// TestEarlierProgramRemoved renders a package that holds program ConfigMaps of earlier
// renders: the one nothing mounts goes; one a service outside the run mounts, one the
// function did not generate, and one in a namespace the run does not touch stay.
func TestEarlierProgramRemoved(t *testing.T) {
	const generated = "annotations: {llamastack.opendatahub.io/generated-for: llamastack}"
	items := []string{
		"{apiVersion: serving.kserve.io/v1alpha1, kind: LLMInferenceService, metadata: {name: llamastack, namespace: llm}}",
		cm("llamastack-program-0123456789", "llm", generated), // the earlier render's: it goes
		cm("kept-program-0123456789", "llm", generated),       // mounted by kept, not in the run
		cm("mine-program-0123456789", "llm", ""),              // not the function's
		cm("llamastack-program-0123456789", "elsewhere", generated),
		`{apiVersion: serving.kserve.io/v1alpha1, kind: LLMInferenceService, metadata: {name: kept, namespace: llm},
		  spec: {template: {volumes: [{name: llamastack-startup, projected: {sources: [{configMap: {name: kept-program-0123456789}}]}}]}}}`,
	}
	rl := &framework.ResourceList{Items: parse(t, items), FunctionConfig: yaml.MustParse(
		"{apiVersion: llamastack.opendatahub.io/v1alpha1, kind: LlamastackIntegration, metadata: {name: fc}, spec: {provider: gemini, target: {name: llamastack}}}")}
	require.NoError(t, New().Process(rl))
	var names []string
	for _, item := range rl.Items {
		names = append(names, item.GetNamespace()+"/"+item.GetName())
	}
	require.Equal(t, []string{"llm/llamastack", "llm/kept-program-0123456789", "llm/mine-program-0123456789",
		"elsewhere/llamastack-program-0123456789", "llm/kept"}, names[:len(names)-2])
	require.Regexp(t, `^llm/llamastack-program-[0-9a-f]{10}$`, names[len(names)-2])
	require.NotEqual(t, "llm/llamastack-program-0123456789", names[len(names)-2])
}

// TestCollisionNamesAreBounded: a model-name collision warning names three other services at
// most, so that n colliding services write a bounded message each, not n² names in all.
func TestCollisionNamesAreBounded(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"a", "b"}, "b"},
		{[]string{"a", "b", "c", "d"}, "b, c, d"},
		{[]string{"a", "b", "c", "d", "e", "f"}, "b, c, d and 2 more"},
		{[]string{"a", "a"}, ""}, // the same name twice collides with no other service
	} {
		require.Equal(t, tc.want, others("a", tc.names, tc.names), tc.names)
	}
}
