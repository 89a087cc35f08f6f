package processor

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// maxAliasNodes is the most YAML nodes that resolving aliases may create for one input's
// items, and again for its functionConfig. Every node costs about 2 KB to read, change and
// write through kyaml, so this keeps what aliases add to a run near 20 MB. A whole
// LLMInferenceService has a few hundred nodes: anchors that share env lists, resources or
// labels in a hand-written input stay far below it, while an alias bomb (a few hundred bytes
// naming billions of nodes) gets an error instead of exhausting memory.
const maxAliasNodes = 10_000

// resolveConfigAliases resolves the functionConfig's aliases and merge keys: config.Load
// checks and decodes it whole, and would otherwise find an alias where a value belongs.
// It changes nothing when it fails.
func resolveConfigAliases(rl *framework.ResourceList) framework.Results {
	if rl.FunctionConfig == nil {
		return nil
	}
	fc := rl.FunctionConfig.YNode()
	aliases := yamlnode.NewAliases(maxAliasNodes)
	if cost := aliases.Cost(fc); !aliases.Charge(cost) {
		return framework.Results{result(framework.Error, resourceID(fc), "", tooManyAliases(cost, aliases))}
	}
	yamlnode.Resolve(fc)
	return nil
}

// resolveAliases resolves the aliases (and merge keys) that the function reads: in every
// LLMInferenceService all of them, since the transforms read and change it anywhere; in the
// other items those of apiVersion, kind and metadata's name, namespace, labels and
// annotations, which kyaml's accessors read. Other aliases pass through as they are. It
// changes nothing when it fails.
func resolveAliases(items []*yaml.RNode) framework.Results {
	aliases := yamlnode.NewAliases(maxAliasNodes)
	parts := make([][]*yaml.Node, len(items))
	for i, item := range items {
		var path string
		parts[i], path = readParts(item.YNode())
		cost := 0
		for _, n := range parts[i] {
			cost = min(cost+aliases.Cost(n), aliases.Limit()+1)
		}
		if !aliases.Charge(cost) {
			return framework.Results{result(framework.Error, resourceID(item.YNode()), fmt.Sprintf("items[%d]%s", i, path), tooManyAliases(cost, aliases))}
		}
	}
	for _, ps := range parts {
		for _, n := range ps {
			yamlnode.Resolve(n)
		}
	}
	return nil
}

// readParts returns the parts of item whose aliases the function resolves, and the path that
// names them in a message ("" for the whole item).
func readParts(item *yaml.Node) ([]*yaml.Node, string) {
	apiVersion, kind, _, _ := yamlnode.Identity(item)
	if item.Kind == yaml.AliasNode || isLLMInferenceServiceType(apiVersion, kind) {
		return []*yaml.Node{item}, ""
	}
	parts := []*yaml.Node{yamlnode.Field(item, "apiVersion"), yamlnode.Field(item, "kind")}
	meta := yamlnode.Field(item, "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode || yamlnode.HasMergeKey(meta) {
		// An alias, or a merge that may bring any field: resolve it whole.
		return append(parts, meta), ".metadata"
	}
	for _, key := range []string{"name", "namespace", "labels", "annotations"} {
		parts = append(parts, yamlnode.Field(meta, key))
	}
	return parts, ".metadata"
}

// tooManyAliases says why aliases that would create cost nodes were refused: too many
// alone, or with those of the items before, which share the budget.
func tooManyAliases(cost int, aliases *yamlnode.Aliases) string {
	size := "more than"
	if cost <= aliases.Limit() {
		size = fmt.Sprintf("%d nodes, which with those of the items before it is more than", cost)
	}
	return fmt.Sprintf("its YAML aliases (*name) expand to %s %d nodes, the function's limit per input (a guard against alias bombs); write it without anchors (&name) and aliases", size, aliases.Limit())
}

// resourceID names an object for a message, reading through aliases; it is safe on any shape.
func resourceID(n *yaml.Node) *yaml.ResourceIdentifier {
	apiVersion, kind, namespace, name := yamlnode.Identity(n)
	return &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: apiVersion, Kind: kind}, NameMeta: yaml.NameMeta{Name: name, Namespace: namespace}}
}
