package processor_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// documentedPaths are the only places the function may change on a target, as regular
// expressions over the paths that diffTrees reports. Anything else changing is a bug.
var documentedPaths = regexp.MustCompile(`^(` + strings.Join([]string{
	`metadata\.labels(\.(provider|app\.kubernetes\.io/instance))?`,
	`metadata\.annotations(\.(alpha\.maas\.opendatahub\.io/tiers|security\.opendatahub\.io/enable-auth))?`,
	`metadata`,
	`spec`,
	`spec\.model(\.(name|uri))?`,
	`spec\.storageInitializer(\.enabled)?`,
	`spec\.router(\.gateway(\.refs.*)?|\.route)?`,
	`spec\.template(\.containers)?`,
	`spec\.template\.volumes.*`,
	`spec\.template\.securityContext.*`,
	`spec\.template\.serviceAccountName`,
	`spec\.template\.containers\[main\](\.(image|command|args|ports|env|startupProbe|livenessProbe|readinessProbe|volumeMounts).*)?`,
}, "|") + `)$`)

// TestPreservation runs every successful golden case and checks that (1) every item that is
// not a changed LLMInferenceService comes out byte for byte as the framework writes it
// untouched, comments included, (2) on the LLMInferenceServices only documented paths
// change, and (3) only MaaS objects, NetworkPolicies, the start-up ConfigMap and (for
// KServe v0.16) the empty model PersistentVolumeClaim are added.
func TestPreservation(t *testing.T) {
	for _, dir := range caseDirs(t) {
		if strings.HasPrefix(filepath.Base(dir), "err-") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input := readFile(t, filepath.Join(dir, "input.yaml"))
			untouched := itemsByID(t, executeWith(t, framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil }), input))
			changed := itemsByID(t, mustExecute(t, input))
			for id, before := range untouched {
				after, ok := changed[id]
				if strings.HasPrefix(id, "v1/List/") {
					require.False(t, ok, "a v1 List is replaced by its items")
					continue
				}
				require.True(t, ok, "%s was dropped", id)
				if !strings.HasPrefix(id, "serving.kserve.io/") {
					requireUntouched(t, id, before, after)
					continue
				}
				for _, path := range diffTrees(decode(t, before), decode(t, after), "") {
					require.Regexp(t, documentedPaths, path, "%s: the function changed an undocumented path", id)
				}
			}
			for id := range changed {
				if _, existed := untouched[id]; !existed && !fromList(t, input, id) {
					require.Regexp(t, `^(maas\.opendatahub\.io/v1alpha1/MaaS(ModelRef|AuthPolicy|Subscription)|networking\.k8s\.io/v1/NetworkPolicy|v1/PersistentVolumeClaim|v1/ConfigMap)/`, id, "only MaaS objects, NetworkPolicies, the start-up ConfigMap and the no-weights PersistentVolumeClaim are generated")
				}
			}
		})
	}
}

// TestDeterministic runs every golden case 20 times: the output must not depend on map
// iteration order or anything else that varies between runs.
func TestDeterministic(t *testing.T) {
	for _, dir := range caseDirs(t) {
		input := readFile(t, filepath.Join(dir, "input.yaml"))
		first, firstErr := execute(t, input)
		for i := 0; i < 19; i++ {
			out, err := execute(t, input)
			require.Equal(t, first, out, "%s: run %d differs", dir, i+2)
			require.Equal(t, fmt.Sprint(firstErr), fmt.Sprint(err), "%s: run %d errs differently", dir, i+2)
		}
	}
}

// TestLargeInputs accepts a 1 MB string value and deep (but parseable) nesting in items it
// does not target, and leaves them as they were.
func TestLargeInputs(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	deep := strings.Repeat("[", 2000) + strings.Repeat("]", 2000)
	input := fmt.Sprintf(`apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: big, namespace: llm}
  data: {blob: %s}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: deep, namespace: llm}
  nested: %s
- apiVersion: serving.kserve.io/v1alpha1
  kind: LLMInferenceService
  metadata: {name: llamastack, namespace: llm}
functionConfig:
  apiVersion: llamastack.opendatahub.io/v1alpha1
  kind: LlamastackIntegration
  metadata: {name: t}
  spec: {provider: gemini}
`, big, deep)
	out := mustExecute(t, input)
	require.Contains(t, out, big)
	require.Contains(t, out, deep)
	require.Contains(t, out, "GEMINI_API_KEY")
}

func mustExecute(t *testing.T, input string) string {
	t.Helper()
	out, err := execute(t, input)
	require.NoError(t, err)
	return out
}

func executeWith(t *testing.T, p framework.ResourceListProcessor, input string) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, framework.Execute(p, &kio.ByteReadWriter{Reader: strings.NewReader(input), Writer: &out}))
	return out.String()
}

func itemsByID(t *testing.T, resourceList string) map[string]*yaml.RNode {
	t.Helper()
	items, err := (&kio.ByteReadWriter{Reader: strings.NewReader(resourceList), OmitReaderAnnotations: true}).Read()
	require.NoError(t, err)
	byID := map[string]*yaml.RNode{}
	for _, item := range items {
		id := identity(item)
		require.NotContains(t, byID, id, "duplicate item %s", id)
		byID[id] = item
	}
	return byID
}

// identity is an object's apiVersion/kind/namespace/name as the function reads them: through
// YAML aliases and merge keys (within a small budget, so an alias bomb cannot blow up a test).
func identity(n *yaml.RNode) string {
	obj := yaml.CopyYNode(n.YNode())
	for _, part := range metadataParts(obj) {
		if aliases := yamlnode.NewAliases(1000); aliases.Cost(part) <= aliases.Limit() {
			yamlnode.Resolve(part)
		}
	}
	apiVersion, kind, namespace, name := yamlnode.Identity(obj)
	return apiVersion + "/" + kind + "/" + namespace + "/" + name
}

// metadataParts are the fields of an object that the function may spell out when they hold
// aliases or merge keys: kyaml's accessors read them.
func metadataParts(obj *yaml.Node) []*yaml.Node {
	return []*yaml.Node{yamlnode.Field(obj, "apiVersion"), yamlnode.Field(obj, "kind"), yamlnode.Field(obj, "metadata")}
}

// requireUntouched: an item the function does not change comes out byte for byte, but for
// the aliases and merge keys of its metadata, which it may spell out (as the same data).
func requireUntouched(t *testing.T, id string, before, after *yaml.RNode) {
	t.Helper()
	if before.MustString() == after.MustString() {
		return
	}
	var aliased bool
	for _, part := range metadataParts(before.YNode()) {
		aliased = aliased || yamlnode.NewAliases(1000).Cost(part) > 0 || strings.Contains(yaml.NewRNode(part).MustString(), "<<")
	}
	require.True(t, aliased, "%s must be left byte for byte:\n%s\n---\n%s", id, before.MustString(), after.MustString())
	without := func(n *yaml.RNode) string {
		c := yaml.NewRNode(yaml.CopyYNode(n.YNode()))
		for _, key := range []string{"apiVersion", "kind", "metadata"} {
			require.NoError(t, c.PipeE(yaml.Clear(key)))
		}
		return c.MustString()
	}
	require.Equal(t, without(before), without(after), "%s: only aliases in its metadata may be spelled out", id)
	for i, part := range metadataParts(before.YNode()) {
		if part == nil {
			continue
		}
		require.Equal(t, decode(t, yaml.NewRNode(part)), decode(t, yaml.NewRNode(metadataParts(after.YNode())[i])), "%s: its metadata reads the same", id)
	}
}

func decode(t *testing.T, n *yaml.RNode) any {
	t.Helper()
	var v any
	require.NoError(t, n.YNode().Decode(&v))
	return v
}

// diffTrees lists the paths where a and b differ. List items with a name are addressed as
// [name]; a differing list without names is reported at the list.
func diffTrees(a, b any, path string) []string {
	if reflect.DeepEqual(a, b) {
		return nil
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			out = append(out, diffTrees(am[k], bm[k], join(path, k))...)
		}
		return out
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		an, bn := byName(al), byName(bl)
		if an != nil && bn != nil && len(an) == len(al) && len(bn) == len(bl) {
			names := map[string]bool{}
			for k := range an {
				names[k] = true
			}
			for k := range bn {
				names[k] = true
			}
			var sorted []string
			for k := range names {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			var out []string
			for _, k := range sorted {
				out = append(out, diffTrees(an[k], bn[k], path+"["+k+"]")...)
			}
			return out
		}
	}
	if path == "" {
		return []string{"(root)"}
	}
	return []string{path}
}

func byName(l []any) map[string]any {
	out := map[string]any{}
	for _, item := range l {
		m, ok := item.(map[string]any)
		if !ok {
			return nil
		}
		name, ok := m["name"].(string)
		if !ok {
			return nil
		}
		out[name] = item
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// TestSecretCanariesInEveryCase plants canaries in a Secret's data and stringData, in the
// Secret the case's provider references and in an unrelated one, in every golden case.
// No canary may reach the results or anything the function generates.
func TestSecretCanariesInEveryCase(t *testing.T) {
	const canary = "canary-7d41f0"
	encoded := "Y2FuYXJ5LTdkNDFmMA==" // base64 of the canary
	for _, dir := range caseDirs(t) {
		input := readFile(t, filepath.Join(dir, "input.yaml"))
		rl, err := yaml.Parse(input)
		if err != nil || rl.Field("items") == nil || rl.Field("items").Value.YNode().Kind != yaml.SequenceNode {
			continue // unreadable cases have no items to plant in
		}
		items := rl.Field("items").Value
		for _, name := range []string{"gemini-gemini-api-key", "unrelated-secret"} {
			secret := yaml.MustParse(fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: llm}\ndata: {api-key: %s}\nstringData: {token: %s}\n", name, encoded, canary))
			items.YNode().Content = append(items.YNode().Content, secret.YNode())
		}
		out, _ := execute(t, rl.MustString())
		if i := strings.Index(out, "\nresults:"); i >= 0 {
			require.NotContains(t, out[i:], canary, "%s: a result repeats a secret", dir)
			require.NotContains(t, out[i:], encoded, "%s: a result repeats a secret", dir)
		}
		generated, _ := (&kio.ByteReadWriter{Reader: strings.NewReader(out), OmitReaderAnnotations: true}).Read()
		for _, item := range generated {
			if strings.HasPrefix(item.GetApiVersion(), "maas.") || item.GetKind() == "NetworkPolicy" || item.GetKind() == "LLMInferenceService" {
				require.NotContains(t, item.MustString(), canary, "%s: %s carries a secret", dir, item.GetKind())
				require.NotContains(t, item.MustString(), encoded, "%s: %s carries a secret", dir, item.GetKind())
			}
		}
	}
}

// fromList reports whether the input holds a v1 List item with the identity id among its
// items (the function spreads a List's items into the output).
func fromList(t *testing.T, input, id string) bool {
	t.Helper()
	rl, err := yaml.Parse(input)
	require.NoError(t, err)
	items, err := rl.Pipe(yaml.Lookup("items"))
	require.NoError(t, err)
	elements, _ := items.Elements()
	for _, item := range elements {
		if item.GetKind() != "List" || item.GetApiVersion() != "v1" {
			continue
		}
		inner, _ := item.Pipe(yaml.Lookup("items"))
		listed, _ := inner.Elements()
		for _, e := range listed {
			if strings.HasSuffix(id, "/"+e.GetKind()+"/"+e.GetNamespace()+"/"+e.GetName()) {
				return true
			}
		}
	}
	return false
}
