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
func DuplicateKeys(n *yaml.Node) []string {
	var paths []string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			seen := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				child := key
				if path != "" {
					child = path + "." + key
				}
				if seen[key] {
					paths = append(paths, child)
				}
				seen[key] = true
				walk(n.Content[i+1], child)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		}
	}
	if n != nil {
		walk(n, "")
	}
	return paths
}
