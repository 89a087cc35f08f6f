package yamlnode

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// yaml11NonString matches the plain scalars that a YAML 1.1 reader, such as kubectl's
// (sigs.k8s.io/yaml on go-yaml v2), reads as something other than a string although YAML
// 1.2 reads them as strings: booleans like on/yes/y, null and ~, numbers in octal, hex,
// binary, sexagesimal or exponent form, infinities and NaN, and dates.
var yaml11NonString = regexp.MustCompile(`^(` +
	`y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|` +
	`~|null|Null|NULL|` +
	`[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|` +
	`[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO]?[0-7_]+|[-+]?0[bB][01_]+|` +
	`[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|` +
	`[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|` +
	`[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?` +
	`)$`)

// QuoteAmbiguous double-quotes every plain string scalar under n, keys included, that a
// YAML 1.1 reader would read as another type, so that kubectl reads what the function meant
// in every output mode (kustomize quotes them itself; kyaml's writer, used standalone and
// under kpt, does not). Only the style changes, never a value.
func QuoteAmbiguous(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Style == 0 && n.ShortTag() == yaml.NodeTagString && (n.Value == "" || mayBeNonString(n.Value)) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		QuoteAmbiguous(c)
	}
}

// mayBeNonString reports whether a YAML 1.1 reader reads v as another type. Every such
// scalar starts with one of a few characters: checking that first spares the regular
// expression on nearly every scalar (the function quotes each of its targets' scalars).
func mayBeNonString(v string) bool {
	return strings.IndexByte("yYnNtTfFoO~+-.0123456789", v[0]) >= 0 && yaml11NonString.MatchString(v)
}

// DuplicateKeys returns the path of every mapping key that n holds twice. YAML forbids it,
// yet parsers keep both; kubectl keeps the last, so an edit to the first would vanish.
// It runs on every input object: a path is written out only for a duplicate.
func DuplicateKeys(n *yaml.Node) []string {
	var steps [16]pathStep
	w := duplicateWalk{at: steps[:0]}
	if n != nil {
		w.walk(n)
	}
	return w.paths
}

// duplicateWalk is DuplicateKeys' walk: the repeated keys' paths so far, and the way to
// the current node.
type duplicateWalk struct {
	paths []string
	at    []pathStep
}

func (w *duplicateWalk) walk(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		repeated := repeatedKeys(n)
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.at = append(w.at, pathStep{key: n.Content[i].Value, index: -1})
			if repeated[i] {
				w.paths = append(w.paths, pathOf(w.at))
			}
			w.walk(n.Content[i+1])
			w.at = w.at[:len(w.at)-1]
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			w.at = append(w.at, pathStep{index: i})
			w.walk(c)
			w.at = w.at[:len(w.at)-1]
		}
	case yaml.DocumentNode:
		for _, c := range n.Content {
			w.walk(c)
		}
	}
}

// pathStep is a mapping key (index -1) or a sequence index on the way to a node.
type pathStep struct {
	key   string
	index int
}

// pathOf writes a path as the function's messages do: a.b[0].c.
func pathOf(steps []pathStep) string {
	var b strings.Builder
	for _, s := range steps {
		switch {
		case s.index >= 0:
			fmt.Fprintf(&b, "[%d]", s.index)
		case b.Len() > 0:
			b.WriteString("." + s.key)
		default:
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// repeatedKeys marks the positions in mapping m's content of the keys that came before;
// nil when none did. Objects' mappings are small: comparing pairs allocates nothing, unlike
// a set, which only a large mapping gets, so that the check stays linear.
func repeatedKeys(m *yaml.Node) map[int]bool {
	var repeated map[int]bool
	mark := func(i int) {
		if repeated == nil {
			repeated = map[int]bool{}
		}
		repeated[i] = true
	}
	if len(m.Content) <= 64 {
		for i := 2; i+1 < len(m.Content); i += 2 {
			for j := 0; j < i; j += 2 {
				if m.Content[j].Value == m.Content[i].Value {
					mark(i)
					break
				}
			}
		}
		return repeated
	}
	seen := make(map[string]bool, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if seen[m.Content[i].Value] {
			mark(i)
		}
		seen[m.Content[i].Value] = true
	}
	return repeated
}
