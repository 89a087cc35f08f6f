package yamlnode

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// bomb is n levels of 9 aliases of the level below: 9^n scalars in a few hundred bytes.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString(`a0: &a0 [x, x, x, x, x, x, x, x, x]` + "\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), ","))
	}
	return b.String()
}

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		size      int
	}{
		{"scalar", "x", 1},
		{"map", "{a: 1, b: 2}", 5},
		{"an alias counts what it names", "{a: &x [1, 2], b: *x}", 1 + 1 + 3 + 1 + 3},
		{"a merge counts what it brings", "{a: &x {k: v}, b: {<<: *x}}", 1 + 1 + 3 + 1 + (1 + 1 + 3)},
		{"nine levels of nine aliases", bomb(9), 1001},
		{"an alias that contains itself", "a: &x [*x]", 1001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.size, NewAliases(1000).Size(yaml.MustParse(tc.doc).YNode()))
		})
	}
}

func TestCostAndCharge(t *testing.T) {
	a := NewAliases(10)
	n := yaml.MustParse("{a: &x [1, 2], b: *x, c: *x}").YNode()
	require.Equal(t, 6, a.Cost(n), "each alias costs what it names")
	require.Equal(t, 0, a.Cost(yaml.MustParse("{a: [1, 2]}").YNode()), "no alias, no cost")
	require.True(t, a.Charge(6))
	require.False(t, a.Charge(5), "the budget is shared")
	require.True(t, a.Charge(4))
	require.Equal(t, 1001, NewAliases(1000).Cost(yaml.MustParse(bomb(9)+"b: *a8\n").YNode()))
}

// TestResolve: aliases become copies without anchors, merge keys apply as kubectl's reader
// applies them, and nothing outside the resolved node changes.
func TestResolve(t *testing.T) {
	for _, tc := range []struct{ name, doc, part, want string }{
		{"labels through an alias", "common: &c {app: x}\nobj: {labels: *c}", "obj", "{labels: {app: x}}"},
		{"a label value", "v: &v x\nobj: {labels: {app: *v}}", "obj", "{labels: {app: x}}"},
		{"nested aliases", "a: &a [1]\nb: &b [*a, *a]\nobj: {k: *b}", "obj", "{k: [[1], [1]]}"},
		{"a merge: own keys win, merged keys in its place", "base: &b {a: 1, z: 9}\nobj: {x: 0, <<: *b, a: 2}", "obj", "{x: 0, z: 9, a: 2}"},
		{"a merge of a list: the first map wins", "p: &p {a: 1}\nq: &q {a: 2, b: 2}\nobj: {<<: [*p, *q]}", "obj", "{a: 1, b: 2}"},
		{"a merge inside what an alias names", "base: &b {a: 1}\nm: &m {<<: *b, c: 3}\nobj: {k: *m}", "obj", "{k: {a: 1, c: 3}}"},
		{"a merge of a scalar is left for kubectl to refuse", "s: &s x\nobj: {<<: *s}", "obj", "{!!merge <<: x}"},
		{"a quoted << is a key", "obj: {'<<': {a: 1}}", "obj", "{'<<': {a: 1}}"},
		{"anchors inside the resolved part stay", "obj: {a: &x 1, b: *x}", "obj", "{a: &x 1, b: 1}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := yaml.MustParse(tc.doc)
			others := func() map[string]string {
				out := map[string]string{}
				for i := 0; i+1 < len(doc.YNode().Content); i += 2 {
					if key := doc.YNode().Content[i].Value; key != tc.part {
						out[key] = yaml.NewRNode(doc.YNode().Content[i+1]).MustString()
					}
				}
				return out
			}
			before := others()
			part := Field(doc.YNode(), tc.part)
			Resolve(part)
			require.Equal(t, tc.want, strings.TrimSpace(yaml.NewRNode(part).MustString()))
			require.Equal(t, 0, NewAliases(100).Cost(part), "no alias is left")
			require.Equal(t, before, others(), "nothing outside the resolved part changes")
		})
	}
}

// TestResolveAnAlias: an alias node itself is replaced in its parent.
func TestResolveAnAlias(t *testing.T) {
	doc := yaml.MustParse("a: &x {k: &y v}\nb: *x\n")
	Resolve(Field(doc.YNode(), "b"))
	require.Equal(t, "a: &x {k: &y v}\nb: {k: v}\n", doc.MustString())
}

// TestResolveMatchesTheDecoder: on random alias DAGs, resolving gives the data that a YAML
// decoder reads (aliases and merge keys expanded), with no alias left, whenever the budget
// allows; Size is exact.
func TestResolveMatchesTheDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 5))
	for i := range 300 {
		doc := randomDAG(r)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			node := yaml.MustParse(doc)
			a := NewAliases(5000)
			cost := a.Cost(node.YNode())
			if cost > a.Limit() {
				return
			}
			var want any
			require.NoError(t, node.YNode().Decode(&want), doc)
			Resolve(node.YNode())
			var got any
			require.NoError(t, node.YNode().Decode(&got))
			require.Equal(t, want, got, doc)
			require.Zero(t, NewAliases(5000).Cost(node.YNode()), "no alias left:\n%s", node.MustString())
		})
	}
}

// randomDAG writes anchors a0..aN, each a list or a map (some with merge keys) of scalars
// and aliases of earlier anchors, and a root that aliases some of them.
func randomDAG(r *rand.Rand) string {
	var b strings.Builder
	n := 1 + r.IntN(6)
	maps := map[int]bool{}
	value := func(i int) string {
		if i == 0 || r.IntN(3) == 0 {
			return fmt.Sprint(r.IntN(3))
		}
		return fmt.Sprintf("*a%d", r.IntN(i))
	}
	for i := range n {
		width := 1 + r.IntN(4)
		var elems []string
		if r.IntN(2) == 0 {
			for range width {
				elems = append(elems, value(i))
			}
			fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.Join(elems, ", "))
			continue
		}
		maps[i] = true
		for k := range width {
			elems = append(elems, fmt.Sprintf("k%d: %s", k, value(i)))
		}
		for j := range i {
			if maps[j] && r.IntN(3) == 0 {
				elems = append(elems, fmt.Sprintf("<<: *a%d", j))
				break
			}
		}
		fmt.Fprintf(&b, "a%d: &a%d {%s}\n", i, i, strings.Join(elems, ", "))
	}
	fmt.Fprintf(&b, "root: [%s, *a%d]\n", value(n), n-1)
	return b.String()
}

func TestIdentityThroughAliases(t *testing.T) {
	n := yaml.MustParse("x: &k ConfigMap\nm: &m {name: &n cm, namespace: *n}\nobj: {apiVersion: v1, kind: *k, metadata: *m}\n").YNode()
	apiVersion, kind, namespace, name := Identity(Field(n, "obj"))
	require.Equal(t, []string{"v1", "ConfigMap", "cm", "cm"}, []string{apiVersion, kind, namespace, name})
}
