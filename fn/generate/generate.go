// Package generate builds the objects the function adds next to each LLMInferenceService:
// its start-up ConfigMap and the program's (one per namespace), current MaaS's MaaSModelRef, MaaSAuthPolicy and MaaSSubscription, a
// NetworkPolicy, and on KServe v0.16 an empty PersistentVolumeClaim. Every name comes from the
// LLMInferenceService's final name, as it is in the input, so a kustomize namePrefix applied
// before the function carries over to what it generates.
package generate

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// Objects returns the objects cfg asks for, for the configured service isvc.
func Objects(isvc *yaml.RNode, cfg *config.Config) ([]*yaml.RNode, []diag.Problem) {
	name := isvc.GetName()
	if problems := checkMaaS(isvc, cfg); len(problems) > 0 {
		return nil, problems
	}
	var objects []*yaml.RNode
	if m := cfg.MaaS; m != nil && m.ModelRef != nil {
		objects = append(objects, modelRef(isvc, cfg))
	}
	if m := cfg.MaaS; m != nil && m.AuthPolicy != nil {
		objects = append(objects, authPolicy(isvc, cfg))
	}
	if m := cfg.MaaS; m != nil && m.Subscription != nil {
		objects = append(objects, subscription(isvc, cfg))
	}
	if cfg.NetworkPolicy != nil {
		objects = append(objects, networkPolicy(isvc, cfg))
	}
	if cfg.ProgramService == "" || cfg.ProgramService == isvc.GetName() {
		objects = append(objects, programConfigMap(isvc, cfg))
	}
	objects = append(objects, startupConfigMap(isvc, cfg))
	objects = append(objects, trustedCAConfigMap(isvc, cfg)...)
	if uri, placeholder := cfg.ModelURIFor(name, modelURI(isvc)); placeholder && uri == config.NoWeightsURI(name) {
		objects = append(objects, noWeightsClaim(isvc, cfg))
	}
	return objects, nil
}

// checkMaaS says why MaaS's access objects cannot refer to the service.
func checkMaaS(isvc *yaml.RNode, cfg *config.Config) []diag.Problem {
	m := cfg.MaaS
	if m == nil || (m.AuthPolicy == nil && m.Subscription == nil) {
		return nil
	}
	var problems diag.List
	if isvc.GetNamespace() == "" {
		problems.Add("metadata.namespace", "is not set, but MaaSAuthPolicy and MaaSSubscription refer to the model by namespace; set it (kustomize's namespace field, or kpt fn eval set-namespace)")
	}
	if name := isvc.GetName(); len(name) > maas.MaxModelRefName {
		problems.Add("metadata.name", "is %d characters, but MaaS refers to models by names of at most %d; shorten it", len(name), maas.MaxModelRefName)
	}
	return problems
}

// modelURI is the uri of isvc's spec.model, or "".
func modelURI(isvc *yaml.RNode) string {
	n := yamlnode.Field(yamlnode.Field(yamlnode.Field(isvc.YNode(), "spec"), "model"), "uri")
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// meta is the metadata of an object generated for isvc: its mark and its labels.
func meta(name, namespace string, isvc *yaml.RNode, cfg *config.Config) metadata {
	return metadata{
		Name: name, Namespace: namespace,
		Annotations: annotations{GeneratedFor: isvc.GetName()},
		Labels:      labels{Instance: isvc.GetName(), Provider: cfg.Providers[0].Provider.Name},
	}
}

func modelRef(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	first := cfg.Providers[0]
	var names []string
	for _, pc := range cfg.Providers {
		names = append(names, pc.Provider.DisplayName)
	}
	m := meta(isvc.GetName(), isvc.GetNamespace(), isvc, cfg)
	m.Annotations.DisplayName = quoted(cmp.Or(cfg.MaaS.ModelRef.DisplayName, first.Provider.DisplayName+" "+first.Model))
	m.Annotations.Description = quoted(cmp.Or(cfg.MaaS.ModelRef.Description,
		fmt.Sprintf("%s from %s, served by Llama Stack through the MaaS gateway", first.Model, strings.Join(names, ", "))))
	m.Annotations.modelDetails(maas.ModelDetails(*cfg.MaaS.ModelRef, defaultContextWindow(first)))
	spec := &modelRefSpec{}
	spec.ModelRef.Kind, spec.ModelRef.Name = "LLMInferenceService", isvc.GetName()
	return rnode(object[modelRefSpec]{APIVersion: maas.APIVersion, Kind: "MaaSModelRef", Metadata: m, Spec: spec})
}

func authPolicy(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	a := cfg.MaaS.AuthPolicy
	return rnode(object[authPolicySpec]{APIVersion: maas.APIVersion, Kind: "MaaSAuthPolicy", Metadata: meta(isvc.GetName(), a.Namespace, isvc, cfg), Spec: &authPolicySpec{
		ModelRefs: []modelRefName{{Name: isvc.GetName(), Namespace: isvc.GetNamespace()}},
		Subjects:  subjects{Groups: groups(a.Groups), Users: a.Users},
	}})
}

func subscription(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	s := cfg.MaaS.Subscription
	ref := limitedModelRef{Name: isvc.GetName(), Namespace: isvc.GetNamespace()}
	for _, l := range s.TokenRateLimits {
		ref.TokenRateLimits = append(ref.TokenRateLimits, tokenRateLimit{Limit: l.Limit, Window: l.Window})
	}
	return rnode(object[subscriptionSpec]{APIVersion: maas.APIVersion, Kind: "MaaSSubscription", Metadata: meta(isvc.GetName(), s.Namespace, isvc, cfg), Spec: &subscriptionSpec{
		ModelRefs: []limitedModelRef{ref},
		Owner:     subjects{Groups: groups(s.OwnerGroups), Users: s.OwnerUsers},
		Priority:  s.Priority,
	}})
}

// networkPolicy lets in only the gateway and MaaS's API on port 8000, and lets out only DNS
// and the providers.
func networkPolicy(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	var from []peer
	namespaces := []string{cfg.GatewayNamespace, cfg.NetworkPolicy.MaaSAPINamespace}
	slices.Sort(namespaces)
	for _, ns := range slices.Compact(namespaces) {
		from = append(from, peer{NamespaceSelector: selector{MatchLabels: workloadLabels{NamespaceName: ns}}})
	}
	// 53 for the cluster DNS Service; 5353 because OpenShift's DNS pods listen there and
	// NetworkPolicy sees the port after the Service's translation.
	var dns []port
	for _, p := range []int64{53, 5353} {
		dns = append(dns, port{Protocol: "UDP", Port: p}, port{Protocol: "TCP", Port: p})
	}
	var providerPorts []port
	for _, p := range egressPorts(cfg) {
		providerPorts = append(providerPorts, port{Protocol: "TCP", Port: p})
	}
	return rnode(object[networkPolicySpec]{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Metadata: meta(isvc.GetName(), isvc.GetNamespace(), isvc, cfg), Spec: &networkPolicySpec{
		Egress:      []portsRule{{Ports: dns}, {Ports: providerPorts}},
		Ingress:     []ingressRule{{From: from, Ports: []port{{Protocol: "TCP", Port: kserve.Port}}}},
		PodSelector: selector{MatchLabels: workloadLabels{Name: isvc.GetName(), PartOf: "llminferenceservice", Component: "workload"}},
		PolicyTypes: []string{"Ingress", "Egress"},
	}})
}

// startupConfigMap holds the service's settings.json, which the pod mounts next to the
// program: the configuration the server runs, reviewable in Git and in Argo CD's diff. Its
// name carries a hash of its content, so that a change rolls the pod. It holds no secret:
// credentials reach the pod only as Secret references.
func startupConfigMap(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	m := meta(startup.ConfigMapName(isvc, cfg), isvc.GetNamespace(), isvc, cfg)
	return configMapOf(m, map[string]string{startup.SettingsFile: startup.Settings(isvc, cfg)}, []string{startup.SettingsFile})
}

// programConfigMap holds the start-up program, one for the namespace's services in the run
// (see startup.ProgramConfigMapName). It is generated with the service it is named after.
func programConfigMap(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	m := meta(startup.ProgramConfigMapName(isvc, cfg), isvc.GetNamespace(), isvc, cfg)
	m.Labels.Provider = ""
	return configMapOf(m, llamastack.Program(), llamastack.ProgramNames())
}

// configMapOf is a ConfigMap of files, in the order of keys. The files are set as nodes, not
// encoded: the program is most of the output, and encoding goes through text and back.
func configMapOf(m metadata, files map[string]string, keys []string) *yaml.RNode {
	o := rnode(object[struct{}]{APIVersion: "v1", Kind: "ConfigMap", Metadata: m})
	data := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	for _, key := range keys {
		data.Content = append(data.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: files[key], Style: yaml.LiteralStyle})
	}
	o.YNode().Content = append(o.YNode().Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: "data"}, data)
	return o
}

// IsStartupConfigMap reports whether obj is a start-up ConfigMap generated for the service
// named service, of any content.
func IsStartupConfigMap(obj *yaml.RNode, service string) bool {
	return isHashed(obj, service+startup.StartupInfix)
}

// IsProgramConfigMap reports whether obj is a program's ConfigMap that the function
// generated, of any content, for any service.
func IsProgramConfigMap(obj *yaml.RNode) bool {
	name := obj.GetName()
	i := strings.LastIndex(name, startup.ProgramInfix)
	return i > 0 && isHashed(obj, name[:i+len(startup.ProgramInfix)])
}

// isHashed reports whether obj is a ConfigMap of the function's named prefix and a hash.
func isHashed(obj *yaml.RNode, prefix string) bool {
	hash, found := strings.CutPrefix(obj.GetName(), prefix)
	return found && obj.GetKind() == "ConfigMap" && len(hash) == 10 && strings.Trim(hash, "0123456789abcdef") == "" &&
		IsGenerated(obj)
}

// IsGenerated reports whether obj carries the function's mark.
func IsGenerated(obj *yaml.RNode) bool {
	meta := yamlnode.Field(obj.YNode(), "metadata")
	value := yamlnode.Field(yamlnode.Field(meta, "annotations"), v1alpha1.GeneratedForAnnotation)
	return value != nil && value.Kind == yaml.ScalarNode
}

// noWeightsClaim is the empty volume that stands for the model on a KServe release that
// would otherwise download the model URI with an init container (v0.16): KServe mounts a
// pvc:// URI read-only at /mnt/models and downloads nothing. 1Mi is the smallest request
// storage classes commonly round up; with several replicas on different nodes, use a
// ReadWriteMany storage class or give spec.modelURI a claim of your own.
func noWeightsClaim(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	spec := &claimSpec{AccessModes: []string{"ReadWriteOnce"}}
	spec.Resources.Requests.Storage = "1Mi"
	return rnode(object[claimSpec]{APIVersion: "v1", Kind: "PersistentVolumeClaim", Metadata: meta(config.NoWeightsClaim(isvc.GetName()), isvc.GetNamespace(), isvc, cfg), Spec: spec})
}

// egressPorts are 443 for the providers' public APIs and the port of every URL setting.
func egressPorts(cfg *config.Config) []int64 {
	ports := []int64{443}
	for _, pc := range cfg.Providers {
		for _, s := range pc.Provider.Settings {
			value, ok := pc.Settings[s.Env]
			if !ok || s.Kind != providers.URL {
				continue
			}
			u, err := url.Parse(value)
			if err != nil {
				continue
			}
			port := map[string]int64{"http": 80, "https": 443}[u.Scheme]
			if p, err := strconv.ParseInt(u.Port(), 10, 64); err == nil {
				port = p
			}
			ports = append(ports, port)
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func groups(names []string) []group {
	var out []group
	for _, n := range names {
		out = append(out, group{Name: n})
	}
	return out
}
