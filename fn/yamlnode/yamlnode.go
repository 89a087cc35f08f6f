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

// What a message shows of what the user wrote: at most maxValue characters of a value, and
// at most maxName of a name or field path (more than any valid Kubernetes name, 253, or any
// path the function writes, so only hostile input is cut). A message stays one readable line
// whatever the input: a 200,000-character model name must not put 200 KB on stderr.
const (
	maxValue = 64
	maxName  = 256
)

// Truncate shortens a value the user wrote for a message: at most 64 characters, cut between
// two characters, and "..." says it was cut. Every message that repeats a value goes through
// Truncate, or through Printable for a name or a path.
func Truncate(s string) string {
	return cut(s, maxValue)
}

// cut keeps the first max characters of s and adds "..." when it drops any.
func cut(s string, max int) string {
	if len(s) <= max { // bytes: no more characters than that either
		return s
	}
	i := 0
	for at := range s {
		if i == max {
			return s[:at] + "..."
		}
		i++
	}
	return s
}

// Printable shows a name or a field path in a message: at most 256 characters (a value, 64),
// and quoted Go-style when it holds a character a terminal would not show as itself (control,
// bidi and zero-width characters), so that a message cannot hide or reorder what it names.
// Quoting writes up to ten characters for one, so a quoted string is cut at 64 first.
func Printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return cut(s, maxName)
	}
	return strconv.Quote(cut(s, maxValue))
}
