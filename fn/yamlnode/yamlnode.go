// Package yamlnode has the few helpers over raw YAML nodes that the config loader and the
// transforms share: they work on input of any shape, where kyaml's accessors may panic.
package yamlnode

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Field returns the value node of key in mapping m, or nil.
func Field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// IsNull reports whether n is absent or a YAML null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == yaml.NodeTagNull)
}

// Describe names a node's YAML type and, for scalars, its value, for an error message.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case yaml.NodeTagString:
		return fmt.Sprintf("the string %q", Truncate(n.Value))
	case yaml.NodeTagInt, yaml.NodeTagFloat:
		return "the number " + Truncate(n.Value)
	case yaml.NodeTagBool:
		return "the boolean " + n.Value
	case "!!timestamp":
		return "the date " + Truncate(n.Value)
	}
	return fmt.Sprintf("%q", Truncate(n.Value))
}

// Truncate shortens s for a message.
func Truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// Printable quotes s, Go-style, when it holds a character a terminal would not show as
// itself (control, bidi and zero-width characters), so that a message cannot hide or reorder
// what it names.
func Printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}
