package yamlnode

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Aliases is a budget of nodes for resolving YAML aliases (*name) into copies of the nodes
// they name. A few hundred bytes of nested aliases (an alias bomb) name billions of nodes, so
// an alias costs the size of what it names, expanded: Cost measures what Resolve would
// create, and Charge takes it from the budget or refuses, before anything is copied. Sizes
// are memoized per node, so measuring is linear in the input whatever its aliasing.
type Aliases struct {
	limit, spent int
	sizes        map[*yaml.Node]int // expanded size of each node measured, at most limit+1
}

// NewAliases returns a resolver that may create at most limit nodes in all.
func NewAliases(limit int) *Aliases {
	return &Aliases{limit: limit, sizes: map[*yaml.Node]int{}}
}

// Limit is the number of nodes the resolver may create.
func (a *Aliases) Limit() int { return a.limit }

// Size is the number of nodes n stands for with every alias expanded, or Limit()+1 when that
// is more (an alias that contains itself counts as more).
func (a *Aliases) Size(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if s, ok := a.sizes[n]; ok {
		return s
	}
	a.sizes[n] = a.limit + 1 // while measuring: a cycle reads as too large
	size := 1
	if n.Kind == yaml.AliasNode {
		size = a.Size(n.Alias)
	}
	for _, c := range n.Content {
		if size += a.Size(c); size > a.limit {
			break
		}
	}
	size = min(size, a.limit+1)
	a.sizes[n] = size
	return size
}

// Cost is the number of nodes Resolve(n) would create: the expanded size of what each alias
// under n names. It is 0 when n holds no alias, and more than Limit() when too large.
func (a *Aliases) Cost(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		return a.Size(n.Alias)
	}
	cost := 0
	for _, c := range n.Content {
		if cost += a.Cost(c); cost > a.limit {
			return a.limit + 1
		}
	}
	return cost
}

// Charge reserves cost nodes of the budget, and reports whether they were left.
func (a *Aliases) Charge(cost int) bool {
	if cost > a.limit-a.spent {
		return false
	}
	a.spent += cost
	return true
}

// Resolve replaces, in place, every alias under n (n included) by a copy of the node it
// names, with that node's own aliases resolved and no anchors, and applies the merge keys
// (<<) of the maps it visits, as kubectl's YAML reader does. Nodes outside n are never
// changed. Charge Cost(n) first: Resolve itself does not check the budget.
func Resolve(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		// No other node refers to an alias node, so overwriting it replaces it in its parent.
		*n = *expandedCopy(n.Alias)
		return
	}
	for _, c := range n.Content {
		Resolve(c)
	}
	applyMerges(n)
}

func expandedCopy(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = expandedCopy(child)
	}
	applyMerges(&c)
	return &c
}

// applyMerges replaces the merge keys of map m (<<: a map, or a list of maps, whose keys m
// takes unless it sets them itself; earlier maps of the list win) by the keys they bring, at
// the place of the first. m's aliases must be resolved. A merge of anything but maps is left
// as it is, for kubectl to refuse.
func applyMerges(m *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return
	}
	var sources []*yaml.Node
	own := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, value := m.Content[i], m.Content[i+1]
		if !isMergeKey(key) {
			own[key.Value] = true
			continue
		}
		maps := []*yaml.Node{value}
		if value.Kind == yaml.SequenceNode {
			maps = value.Content
		}
		for _, s := range maps {
			if s.Kind != yaml.MappingNode {
				return
			}
		}
		sources = append(sources, maps...)
	}
	if len(sources) == 0 {
		return
	}
	var merged []*yaml.Node
	for _, s := range sources {
		for i := 0; i+1 < len(s.Content); i += 2 {
			if key := s.Content[i]; !own[key.Value] {
				own[key.Value] = true
				merged = append(merged, key, s.Content[i+1])
			}
		}
	}
	content := make([]*yaml.Node, 0, len(m.Content)+len(merged))
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !isMergeKey(m.Content[i]) {
			content = append(content, m.Content[i], m.Content[i+1])
		} else if merged != nil {
			content, merged = append(content, merged...), nil
		}
	}
	m.Content = content
}

// HasMergeKey reports whether map m has a merge key (<<), which may bring any field.
func HasMergeKey(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if isMergeKey(m.Content[i]) {
			return true
		}
	}
	return false
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!merge"
}

// deref is the node that n names when it is an alias, else n.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}
