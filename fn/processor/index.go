package processor

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/generate"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"
	"github.com/llamastack-integration/llamastack-integration/fn/transform"
)

// identity is what makes two items one object to kubectl.
type identity struct{ apiVersion, kind, namespace, name string }

func identityOf(item *yaml.RNode) identity {
	return identity{item.GetApiVersion(), item.GetKind(), item.GetNamespace(), item.GetName()}
}

// startupKey names the start-up ConfigMaps of one service.
type startupKey struct{ namespace, service string }

// index is the run's items, looked up by identity in constant time: a scan of every item
// for each service or generated object made the function quadratic in the services. It
// answers as scans of the item list in order would.
type index struct {
	items []*yaml.RNode // in order; nil where an item was removed
	// byID holds the positions of each identity's items in order (an input may repeat one).
	byID map[identity][]int
	// startup holds the positions of the start-up ConfigMaps generated for each service, and
	// possibly of items that have since changed or gone.
	startup map[startupKey][]int
	// programs and services hold the positions of the program ConfigMaps the function
	// generated and of the LLMInferenceServices, by namespace (and possibly of items that
	// have since changed or gone).
	programs, services map[string][]int
}

func newIndex(items []*yaml.RNode) *index {
	x := &index{items: items, byID: make(map[identity][]int, len(items)), startup: map[startupKey][]int{},
		programs: map[string][]int{}, services: map[string][]int{}}
	for i, item := range items {
		x.record(i, item)
	}
	return x
}

// record puts the item at position i in the lookups.
func (x *index) record(i int, item *yaml.RNode) {
	id := identityOf(item)
	if positions := x.byID[id]; len(positions) == 0 || positions[len(positions)-1] < i {
		x.byID[id] = append(positions, i)
	}
	if service, ok := startupService(id); ok && generate.IsStartupConfigMap(item, service) {
		key := startupKey{id.namespace, service}
		x.startup[key] = append(x.startup[key], i)
	}
	switch {
	case id.kind == LLMInferenceServiceKind:
		x.services[id.namespace] = append(x.services[id.namespace], i)
	case id.kind == "ConfigMap" && strings.Contains(id.name, startup.ProgramInfix) && generate.IsProgramConfigMap(item):
		x.programs[id.namespace] = append(x.programs[id.namespace], i)
	}
}

// startupService is the service a start-up ConfigMap of this name would be for: its name is
// the service's, "-startup-" and a hash of ten characters.
func startupService(id identity) (string, bool) {
	const suffix = len("-startup-") + 10
	if id.kind != "ConfigMap" || len(id.name) < suffix {
		return "", false
	}
	service := id.name[:len(id.name)-suffix]
	return service, strings.HasPrefix(id.name[len(service):], "-startup-")
}

// find returns the first item with obj's identity and its position, or nil.
func (x *index) find(obj *yaml.RNode) (*yaml.RNode, int) {
	for _, i := range x.byID[identityOf(obj)] {
		if x.items[i] != nil {
			return x.items[i], i
		}
	}
	return nil, -1
}

// replace puts obj, of the same identity, at position i.
func (x *index) replace(i int, obj *yaml.RNode) {
	x.items[i] = obj
	x.record(i, obj)
}

// add puts obj after every item.
func (x *index) add(obj *yaml.RNode) {
	x.items = append(x.items, obj)
	x.record(len(x.items)-1, obj)
}

// removeOtherStartups removes the start-up ConfigMaps of the service in obj's namespace
// other than obj (those of an earlier render).
func (x *index) removeOtherStartups(obj *yaml.RNode, service string) {
	for _, i := range x.startup[startupKey{obj.GetNamespace(), service}] {
		item := x.items[i]
		if item != nil && item.GetNamespace() == obj.GetNamespace() && item.GetName() != obj.GetName() && generate.IsStartupConfigMap(item, service) {
			x.items[i] = nil
		}
	}
}

// removeOtherPrograms removes the program ConfigMaps in obj's namespace other than obj (an
// earlier render's, or one named after another service) that no LLMInferenceService mounts.
func (x *index) removeOtherPrograms(obj *yaml.RNode) {
	mounted := map[string]bool{}
	for _, i := range x.services[obj.GetNamespace()] {
		if item := x.items[i]; item != nil && item.GetNamespace() == obj.GetNamespace() {
			for _, name := range transform.StartupConfigMaps(item) {
				mounted[name] = true
			}
		}
	}
	for _, i := range x.programs[obj.GetNamespace()] {
		item := x.items[i]
		if item != nil && item.GetNamespace() == obj.GetNamespace() && item.GetName() != obj.GetName() && !mounted[item.GetName()] && generate.IsProgramConfigMap(item) {
			x.items[i] = nil
		}
	}
}

// list returns the items in order.
func (x *index) list() []*yaml.RNode {
	out := make([]*yaml.RNode, 0, len(x.items))
	for _, item := range x.items {
		if item != nil {
			out = append(out, item)
		}
	}
	return out
}
