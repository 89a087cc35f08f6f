// Package transform turns one KServe LLMInferenceService into a Llama Stack deployment for
// the configured providers. It changes only the fields it owns (KServe's and Llama Stack's
// facts, the provider's credentials and settings); everything else, comments and field
// order included, stays as it was. A field it owns that held another value is reported.
package transform

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

const (
	containersPath = "spec.template.containers"
	mainPath       = containersPath + "[name=main]"
)

// Check finds what would stop Apply on isvc, without changing it.
func Check(isvc *yaml.RNode, cfg *config.Config) []diag.Problem {
	if p := checkName(isvc.GetName()); p != nil {
		return []diag.Problem{*p}
	}
	spec := field(isvc.YNode(), "spec")
	if spec != nil && !isNull(spec) && spec.Kind != yaml.MappingNode {
		return []diag.Problem{diag.New("spec", "must be a map (the LLMInferenceService spec), not %s", yamlnode.Describe(spec))}
	}
	if errs := checkSpecMaps(spec); len(errs) > 0 {
		return errs
	}
	errs := append(checkRefs(spec), checkTiers(isvc, cfg)...)
	errs = append(errs, checkVolumes(field(spec, "template"), cfg)...)
	errs = append(errs, checkLiteralCredentials(spec, cfg)...)
	errs = append(errs, checkReplicas(spec, cfg)...)
	containers := field(field(spec, "template"), "containers")
	if isNull(containers) {
		return errs
	}
	main, problems := mainContainer(containers)
	if errs = append(errs, problems...); main == nil {
		return errs
	}
	errs = append(errs, checkMain(main)...)
	return append(errs, checkMounts(main, cfg)...)
}

// checkSpecMaps checks that the parts of the spec the function writes into have their shape.
func checkSpecMaps(spec *yaml.Node) []diag.Problem {
	var errs diag.List
	for _, path := range [][]string{{"model"}, {"router"}, {"router", "gateway"}, {"template"}, {"storageInitializer"}} {
		n := spec
		for _, key := range path {
			n = field(n, key)
		}
		if !isNull(n) && n.Kind != yaml.MappingNode {
			errs.Add("spec."+strings.Join(path, "."), "must be a map, not %s", yamlnode.Describe(n))
		}
	}
	return errs
}

// checkRefs checks that the gateway refs and the pod's volumes are lists.
func checkRefs(spec *yaml.Node) []diag.Problem {
	var errs diag.List
	if refs := field(field(field(spec, "router"), "gateway"), "refs"); !isNull(refs) && refs.Kind != yaml.SequenceNode {
		errs.Add("spec.router.gateway.refs", "must be a list, not %s", yamlnode.Describe(refs))
	}
	if volumes := field(field(spec, "template"), "volumes"); !isNull(volumes) && volumes.Kind != yaml.SequenceNode {
		errs.Add("spec.template.volumes", "must be a list, not %s", yamlnode.Describe(volumes))
	}
	return errs
}

// checkTiers refuses a legacy tiers annotation MaaS cannot read, unless spec.tiers replaces it.
func checkTiers(isvc *yaml.RNode, cfg *config.Config) []diag.Problem {
	existing, ok := isvc.GetAnnotations()[maas.TiersAnnotation]
	if !ok || cfg.SetTiers {
		return nil
	}
	if _, ok := maas.Tiers(existing); ok {
		return nil
	}
	return []diag.Problem{diag.New("metadata.annotations."+maas.TiersAnnotation, "is %q, which MaaS cannot read; it must be a JSON array of tier names such as [\"free\",\"premium\"] ([] for every tier), or set spec.tiers", truncate(existing))}
}

// mainContainer returns the one container named main, or the problems of the list.
func mainContainer(containers *yaml.Node) (*yaml.Node, []diag.Problem) {
	if containers.Kind != yaml.SequenceNode {
		return nil, []diag.Problem{diag.New(containersPath, "must be a list of containers, not %s", yamlnode.Describe(containers))}
	}
	var errs diag.List
	var names []string
	var mains []*yaml.Node
	for i, c := range containers.Content {
		name, _ := stringValue(c, "name")
		switch {
		case c.Kind != yaml.MappingNode || name == "":
			errs.Add(fmt.Sprintf("%s[%d]", containersPath, i), "must be a container with a name")
		case name == kserve.MainContainer:
			mains = append(mains, c)
		}
		names = append(names, yamlnode.Printable(truncate(name)))
	}
	switch {
	case len(errs) > 0:
		return nil, errs
	case len(mains) == 0:
		errs.Add(containersPath, "has no container named %q (found: %s); KServe runs only the container named main as the model server and adds any other next to its vLLM container: rename the Llama Stack container to main",
			kserve.MainContainer, strings.Join(names, ", "))
	case len(mains) > 1:
		errs.Add(containersPath, "has %d containers named main; keep exactly one", len(mains))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return mains[0], nil
}

// checkMain checks the lists and probes of main that the function writes into.
func checkMain(main *yaml.Node) []diag.Problem {
	var errs diag.List
	for _, key := range []string{"env", "ports", "volumeMounts"} {
		if list := field(main, key); !isNull(list) && list.Kind != yaml.SequenceNode {
			errs.Add(mainPath+"."+key, "must be a list, not %s", yamlnode.Describe(list))
		}
	}
	if env := field(main, "env"); !isNull(env) && env.Kind == yaml.SequenceNode {
		seen := map[string]bool{}
		for i, e := range env.Content {
			name, ok := stringValue(e, "name")
			switch {
			case !ok || name == "":
				errs.Add(fmt.Sprintf("%s.env[%d]", mainPath, i), "must be an env var with a name")
			case seen[name]:
				errs.Add(fmt.Sprintf("%s.env[name=%s]", mainPath, name), "is defined twice; Kubernetes keeps the last one silently: remove one")
			}
			seen[name] = true
		}
	}
	for _, probe := range kserve.Probes {
		p := field(main, probe)
		switch {
		case isNull(p):
		case p.Kind != yaml.MappingNode:
			errs.Add(mainPath+"."+probe, "must be a map, not %s", yamlnode.Describe(p))
		default:
			for _, h := range kserve.OtherProbeHandlers {
				if field(p, h) != nil {
					errs.Add(mainPath+"."+probe+"."+h, "KServe merges its preset's httpGet into every probe, and a probe with both httpGet and %s is rejected; remove %s (the function sets httpGet %s on port %d)",
						h, h, llamastack.HealthPath, kserve.Port)
				}
			}
		}
	}
	return errs
}

// serviceName is what KServe accepts as an LLMInferenceService's name: it names a Service
// after it (kmeta.ChildName(name, "-kserve-workload-svc")), and Service names are DNS-1035
// labels, so no dots and a letter first.
var serviceName = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// checkName checks the service's final name (after kustomize's namePrefix and nameSuffix):
// KServe names Services after it, and the function writes it as the value of the label
// app.kubernetes.io/instance, at most 63 characters, and into the names it generates.
func checkName(name string) *diag.Problem {
	var p diag.Problem
	switch {
	case name == "":
		p = diag.New("metadata.name", "is missing; every LLMInferenceService needs a name")
	case !serviceName.MatchString(name):
		p = diag.New("metadata.name", "%q is not a valid name: KServe names a Service after it, so use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit", truncate(name))
	case len(name) > 63:
		p = diag.New("metadata.name", "is %d characters (with kustomize's namePrefix and nameSuffix), but the function writes it as the value of the label %s, at most 63: shorten the name or the prefix", len(name), v1alpha1.InstanceLabel)
	default:
		return nil
	}
	return &p
}
