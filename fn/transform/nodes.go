package transform

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// Small helpers over yaml.v3 nodes (as re-exported by kyaml). They change a node only when
// its value differs, and report whether they did, so that every transform is idempotent and
// can say what it changed.

var (
	field  = yamlnode.Field
	isNull = yamlnode.IsNull
)

// setField sets key in mapping m to value, appending it when absent. A map that gains a key
// leaves flow style ({}), which would otherwise render the whole subtree on one line.
func setField(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Style &^= yaml.FlowStyle
	m.Content = append(m.Content, yaml.NewStringRNode(key).YNode(), value)
	// A plain key is enough; NewStringRNode would quote keys that look like numbers.
	m.Content[len(m.Content)-2].Style = 0
}

// removeField deletes key from mapping m and reports whether it was there.
func removeField(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}

// mapAt returns the mapping at key in m, creating an empty one when absent or null. It
// fails when the key holds something else, naming path.
func mapAt(m *yaml.Node, key, path string) (*yaml.Node, error) {
	v := field(m, key)
	if isNull(v) {
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		setField(m, key, v)
		return v, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s must be a map", path)
	}
	return v, nil
}

// setString sets key in m to the string value; it reports whether anything changed.
func setString(m *yaml.Node, key, value string) bool {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == yaml.NodeTagString && v.Value == value {
		return false
	}
	setField(m, key, yaml.NewStringRNode(value).YNode())
	return true
}

// setInt sets key in m to the integer value; it reports whether anything changed.
func setInt(m *yaml.Node, key string, value int) bool {
	s := strconv.Itoa(value)
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == yaml.NodeTagInt && v.Value == s {
		return false
	}
	setField(m, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: s})
	return true
}

// setBool sets key in m to the boolean value; it reports whether anything changed.
func setBool(m *yaml.Node, key string, value bool) bool {
	s := strconv.FormatBool(value)
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == yaml.NodeTagBool && v.Value == s {
		return false
	}
	setField(m, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: s})
	return true
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
	for i, item := range list.Content {
		if n, ok := stringValue(item, "name"); ok && n == name {
			return i
		}
	}
	return -1
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
			setInt(m, key, v)
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

// listAt returns the list at key in m, creating it when absent. A list that gains items
// leaves flow style ([]), which would otherwise render them on one line.
func listAt(m *yaml.Node, key string) *yaml.Node {
	l := field(m, key)
	if isNull(l) {
		l = &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		setField(m, key, l)
	}
	l.Style &^= yaml.FlowStyle
	return l
}

func equalNodes(a, b *yaml.Node) bool {
	return yaml.NewRNode(a).MustString() == yaml.NewRNode(b).MustString()
}
