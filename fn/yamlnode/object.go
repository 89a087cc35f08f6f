package yamlnode

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// CheckObjectShape reports what would make kyaml's metadata accessors (GetName,
// GetAnnotations, ...) panic: metadata, labels or annotations that are not maps, or a name
// that is not a scalar. Call it before using them on input of unknown shape.
func CheckObjectShape(node *yaml.Node) string {
	if node == nil || node.Kind != yaml.MappingNode {
		return "must be an object (a map)"
	}
	for _, key := range []string{"apiVersion", "kind"} {
		if v := Field(node, key); v != nil && v.Kind != yaml.ScalarNode {
			return fmt.Sprintf("%s must be a string", key)
		}
	}
	meta := Field(node, "metadata")
	if meta == nil || IsNull(meta) {
		return ""
	}
	if meta.Kind != yaml.MappingNode {
		return "metadata must be a map"
	}
	for _, key := range []string{"name", "namespace"} {
		if v := Field(meta, key); v != nil && v.Kind != yaml.ScalarNode {
			return fmt.Sprintf("metadata.%s must be a string", key)
		}
	}
	for _, key := range []string{"labels", "annotations"} {
		v := Field(meta, key)
		if v == nil || IsNull(v) {
			continue
		}
		if v.Kind != yaml.MappingNode {
			return fmt.Sprintf("metadata.%s must be a map of strings", key)
		}
		for i := 1; i < len(v.Content); i += 2 {
			if v.Content[i].Kind != yaml.ScalarNode {
				return fmt.Sprintf("metadata.%s.%s must be a string", key, v.Content[i-1].Value)
			}
		}
	}
	return ""
}

// Identity reads apiVersion, kind, namespace and name without kyaml's accessors, through
// aliases, so it is safe on objects that CheckObjectShape refuses and on objects whose aliases
// are not resolved yet; missing or odd fields read as "".
func Identity(node *yaml.Node) (apiVersion, kind, namespace, name string) {
	node = deref(node)
	meta := deref(Field(node, "metadata"))
	return scalar(node, "apiVersion"), scalar(node, "kind"), scalar(meta, "namespace"), scalar(meta, "name")
}

// scalar is the value of the scalar at key in map m, through an alias, or "".
func scalar(m *yaml.Node, key string) string {
	if v := deref(Field(m, key)); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// Redact replaces the scalar at path in an object (a field path such as
// spec.providers[1].apiKeySecret.name, or data.<key> of a ConfigMap, whose keys may hold
// dots) with a note of its length, and reports whether there was one.
func Redact(node *yaml.Node, path string) bool {
	var segments []string
	if key, ok := strings.CutPrefix(path, "data."); ok {
		segments = []string{"data", key}
	} else {
		segments = strings.Split(path, ".")
	}
	n := node
	for _, segment := range segments {
		name, index, indexed := strings.Cut(strings.TrimSuffix(segment, "]"), "[")
		n = Field(n, name)
		if indexed {
			i, err := strconv.Atoi(index)
			if n == nil || n.Kind != yaml.SequenceNode || err != nil || i < 0 || i >= len(n.Content) {
				return false
			}
			n = n.Content[i]
		}
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	n.Value = fmt.Sprintf("<redacted: %d characters>", len(n.Value))
	n.Tag, n.Style = yaml.NodeTagString, yaml.DoubleQuotedStyle
	return true
}
