package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/diag"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// checkShape walks node against Go type t, the way a strict decoder would, but reports every
// problem with its full field path: unknown fields (with the valid ones and a likely
// misspelling), duplicate keys, and values of the wrong YAML type. A YAML null is accepted
// anywhere and means "not set".
func checkShape(node *yaml.Node, t reflect.Type, path string) []diag.Problem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node == nil || isNull(node) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkStruct(node, t, path)
	case reflect.Map:
		return checkMap(node, t, path)
	case reflect.Slice:
		return checkList(node, t, path)
	}
	if msg := checkScalar(node, t); msg != "" {
		return []diag.Problem{{Path: path, Message: msg}}
	}
	return nil
}

// checkStruct checks a map against the fields of struct t: known, each once, each of its type.
func checkStruct(node *yaml.Node, t reflect.Type, path string) []diag.Problem {
	if node.Kind != yaml.MappingNode {
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("must be a map of fields (%s), not %s", strings.Join(fieldNames(t), ", "), describe(node))}}
	}
	var problems []diag.Problem
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, value := node.Content[i].Value, node.Content[i+1]
		fieldPath := join(path, key)
		field, ok := fieldByName(t, key)
		switch {
		case seen[key]:
			problems = append(problems, diag.Problem{Path: fieldPath, Message: "is set twice; keep one"})
		case !ok:
			problems = append(problems, diag.Problem{Path: fieldPath, Message: unknownFieldMessage(key, fieldNames(t))})
		default:
			problems = append(problems, checkShape(value, field.Type, fieldPath)...)
		}
		seen[key] = true
	}
	return problems
}

func checkMap(node *yaml.Node, t reflect.Type, path string) []diag.Problem {
	if node.Kind != yaml.MappingNode {
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("must be a map of strings, not %s", describe(node))}}
	}
	var problems []diag.Problem
	for i := 0; i+1 < len(node.Content); i += 2 {
		problems = append(problems, checkShape(node.Content[i+1], t.Elem(), join(path, node.Content[i].Value))...)
	}
	return problems
}

func checkList(node *yaml.Node, t reflect.Type, path string) []diag.Problem {
	if node.Kind != yaml.SequenceNode {
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("must be a list, not %s", describe(node))}}
	}
	var problems []diag.Problem
	for i, item := range node.Content {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		if isNull(item) {
			problems = append(problems, diag.Problem{Path: itemPath, Message: "must not be empty"})
			continue
		}
		problems = append(problems, checkShape(item, t.Elem(), itemPath)...)
	}
	return problems
}

// checkScalar says what is wrong with a scalar of type t, or "".
func checkScalar(node *yaml.Node, t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		if node.Kind != yaml.ScalarNode || node.ShortTag() != yaml.NodeTagString {
			msg := "must be a string, not " + describe(node)
			if node.Kind == yaml.ScalarNode {
				msg += " (quote it if you meant the text)"
			}
			return msg
		}
	case reflect.Int32, reflect.Int64, reflect.Int:
		if node.Kind != yaml.ScalarNode || node.ShortTag() != yaml.NodeTagInt {
			return fmt.Sprintf("must be a whole number, not %s", describe(node))
		}
		if _, err := strconv.ParseInt(node.Value, 0, t.Bits()); err != nil {
			return fmt.Sprintf("%s is out of range for a %d-bit whole number", truncate(node.Value), t.Bits())
		}
	case reflect.Bool:
		if node.Kind != yaml.ScalarNode || node.ShortTag() != yaml.NodeTagBool {
			return fmt.Sprintf("must be true or false, not %s", describe(node))
		}
	default:
		panic(fmt.Sprintf("checkShape: no rule for %s", t))
	}
	return ""
}

var (
	isNull   = yamlnode.IsNull
	describe = yamlnode.Describe
	truncate = yamlnode.Truncate
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func fieldByName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if yamlName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		names = append(names, yamlName(t.Field(i)))
	}
	sort.Strings(names)
	return names
}

func unknownFieldMessage(key string, valid []string) string {
	msg := fmt.Sprintf("unknown field %q", truncate(key))
	if guess := closest(key, valid); guess != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", guess)
	}
	return msg + "; valid fields: " + strings.Join(valid, ", ")
}

// closest returns the candidate within edit distance 2 of s (ignoring case), or "".
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
