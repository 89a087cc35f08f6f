package transform

import (
	"fmt"
	"slices"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// Small helpers over yaml.v3 nodes (as re-exported by kyaml), thin over kyaml's own filters
// (LookupCreate, Clear, ElementMatcher). They change a node only when its value differs, and
// report whether they did, so that every transform is idempotent and can say what it changed.

var (
	field  = yamlnode.Field
	isNull = yamlnode.IsNull
	// truncate shortens every value from the input or the functionConfig that a message
	// repeats (changes, warnings, errors).
	truncate = yamlnode.Truncate
)

// setField sets key in mapping m to value, appending it when absent. kyaml's SetField would
// copy the old value's style onto the new one (a flow-style {} would stay flow while the
// function fills it), so the value node is replaced whole. A map that gains a key leaves flow
// style, which would otherwise render the whole subtree on one line.
func setField(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Style &^= yaml.FlowStyle
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key}, value)
}

// removeField deletes key from mapping m and reports whether it was there.
func removeField(m *yaml.Node, key string) bool {
	removed, err := yaml.NewRNode(m).Pipe(yaml.Clear(key))
	return err == nil && removed != nil
}

// lookupCreate returns the node of kind at key in m, creating it when absent or null (kyaml's
// LookupCreate keeps a null, which no filter can then fill). It fails when the key holds
// another kind, naming path.
func lookupCreate(m *yaml.Node, kind yaml.Kind, key, path string) (*yaml.Node, error) {
	rn := yaml.NewRNode(m)
	if isNull(field(m, key)) {
		_ = removeField(m, key)
	}
	v, err := rn.Pipe(yaml.LookupCreate(kind, key))
	if err != nil || v == nil || v.YNode().Kind != kind {
		return nil, fmt.Errorf("%s must be a %s", path, map[yaml.Kind]string{yaml.MappingNode: "map", yaml.SequenceNode: "list"}[kind])
	}
	v.YNode().Style &^= yaml.FlowStyle
	return v.YNode(), nil
}

// mapAt returns the mapping at key in m, creating an empty one when absent or null.
func mapAt(m *yaml.Node, key, path string) (*yaml.Node, error) {
	return lookupCreate(m, yaml.MappingNode, key, path)
}

// setScalar sets key in m to the scalar value unless it already holds it (same value and
// tag); it reports whether anything changed.
func setScalar(m *yaml.Node, key string, value *yaml.Node) bool {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == value.ShortTag() && v.Value == value.Value {
		return false
	}
	setField(m, key, value)
	return true
}

func setString(m *yaml.Node, key, value string) bool { return setScalar(m, key, stringNode(value)) }

func setBool(m *yaml.Node, key string, value bool) bool { return setScalar(m, key, boolNode(value)) }

func stringNode(s string) *yaml.Node { return yaml.NewStringRNode(s).YNode() }

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.Itoa(n)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(b)}
}

// stringValue returns the value of a string scalar at key, and whether there is one.
func stringValue(m *yaml.Node, key string) (string, bool) {
	v := field(m, key)
	if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
		return "", false
	}
	return v.Value, true
}

// itemByName returns the index of the list item whose name is name, or -1.
func itemByName(list *yaml.Node, name string) int {
	item, err := yaml.NewRNode(list).Pipe(yaml.ElementMatcher{Keys: []string{"name"}, Values: []string{name}})
	if err != nil || item == nil {
		return -1
	}
	return slices.Index(list.Content, item.YNode())
}

// newMap builds a block-style mapping from alternating keys and values.
func newMap(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	for i := 0; i+1 < len(kv); i += 2 {
		key := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			setString(m, key, v)
		case int:
			setScalar(m, key, intNode(v))
		case bool:
			setBool(m, key, v)
		case *yaml.Node:
			setField(m, key, v)
		default:
			panic(fmt.Sprintf("newMap: unsupported %T", v))
		}
	}
	return m
}

// setStringList makes key in m the list of values, and reports whether it changed.
func setStringList(m *yaml.Node, key string, values []string) bool {
	current := field(m, key)
	if !isNull(current) && current.Kind == yaml.SequenceNode && len(current.Content) == len(values) {
		same := true
		for i, n := range current.Content {
			same = same && n.Kind == yaml.ScalarNode && n.Value == values[i]
		}
		if same {
			return false
		}
	}
	setField(m, key, yaml.NewListRNode(values...).YNode())
	return true
}

// listAt returns the list at key in m, creating it when absent. Check has made sure that
// every list the function writes into is a list; a list that gains items leaves flow style
// ([]), which would otherwise render them on one line.
func listAt(m *yaml.Node, key string) *yaml.Node {
	l, err := lookupCreate(m, yaml.SequenceNode, key, key)
	if err != nil {
		panic(fmt.Sprintf("%v, which Check lets through", err))
	}
	return l
}

func equalNodes(a, b *yaml.Node) bool {
	return yaml.NewRNode(a).MustString() == yaml.NewRNode(b).MustString()
}
