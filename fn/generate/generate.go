// Package generate builds the objects the function adds next to each LLMInferenceService:
// current MaaS's MaaSModelRef, MaaSAuthPolicy and MaaSSubscription, and a NetworkPolicy.
// Every name comes from the LLMInferenceService's final name, as it is in the input, so a
// kustomize namePrefix applied before the function carries over to what it generates.
package generate

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// Objects returns the objects cfg asks for, for the configured service isvc.
func Objects(isvc *yaml.RNode, cfg *config.Config) ([]*yaml.RNode, []diag.Problem) {
	name, namespace := isvc.GetName(), isvc.GetNamespace()
	var objects []*yaml.RNode
	var findings []diag.Problem
	if m := cfg.MaaS; m != nil {
		if (m.AuthPolicy != nil || m.Subscription != nil) && namespace == "" {
			findings = append(findings, diag.Problem{Path: "metadata.namespace", Message: "is not set, but MaaSAuthPolicy and MaaSSubscription refer to the model by namespace; set it (kustomize's namespace field, or kpt fn eval set-namespace)"})
		}
		if (m.AuthPolicy != nil || m.Subscription != nil) && len(name) > maas.MaxModelRefName {
			findings = append(findings, diag.Problem{Path: "metadata.name", Message: fmt.Sprintf("is %d characters, but MaaS refers to models by names of at most %d; shorten it", len(name), maas.MaxModelRefName)})
		}
		if len(findings) > 0 {
			return nil, findings
		}
		if m.ModelRef != nil {
			objects = append(objects, modelRef(isvc, cfg))
		}
		if a := m.AuthPolicy; a != nil {
			subjects := yaml.NewMapRNode(nil)
			setList(subjects, "groups", groupList(a.Groups))
			setList(subjects, "users", stringList(a.Users))
			objects = append(objects, object(maas.APIVersion, "MaaSAuthPolicy", name, a.Namespace, isvc, cfg, map[string]*yaml.RNode{
				"modelRefs": list(mapOf("name", str(name), "namespace", str(namespace))),
				"subjects":  subjects,
			}))
		}
		if s := cfg.MaaS.Subscription; s != nil {
			limits := list()
			for _, l := range s.TokenRateLimits {
				appendTo(limits, mapOf("limit", integer(l.Limit), "window", str(l.Window)))
			}
			owner := yaml.NewMapRNode(nil)
			setList(owner, "groups", groupList(s.OwnerGroups))
			setList(owner, "users", stringList(s.OwnerUsers))
			fields := map[string]*yaml.RNode{
				"modelRefs": list(mapOf("name", str(name), "namespace", str(namespace), "tokenRateLimits", limits)),
				"owner":     owner,
			}
			if s.Priority != nil {
				fields["priority"] = integer(int64(*s.Priority))
			}
			objects = append(objects, object(maas.APIVersion, "MaaSSubscription", name, s.Namespace, isvc, cfg, fields))
		}
	}
	if np := cfg.NetworkPolicy; np != nil {
		objects = append(objects, networkPolicy(isvc, cfg))
	}
	objects = append(objects, startupConfigMap(isvc, cfg))
	if uri, placeholder := cfg.ModelURIFor(name, modelURI(isvc)); placeholder && uri == config.NoWeightsURI(name) {
		objects = append(objects, noWeightsClaim(isvc, cfg))
	}
	return objects, nil
}

// modelURI is the uri of isvc's spec.model, or "".
func modelURI(isvc *yaml.RNode) string {
	n := yamlnode.Field(yamlnode.Field(yamlnode.Field(isvc.YNode(), "spec"), "model"), "uri")
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func modelRef(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	first := cfg.Providers[0]
	display := cfg.MaaS.ModelRef.DisplayName
	if display == "" {
		display = first.Provider.DisplayName + " " + first.Model
	}
	description := cfg.MaaS.ModelRef.Description
	if description == "" {
		var names []string
		for _, pc := range cfg.Providers {
			names = append(names, pc.Provider.DisplayName)
		}
		description = fmt.Sprintf("%s from %s, served by Llama Stack through the MaaS gateway", first.Model, strings.Join(names, ", "))
	}
	ref := object(maas.APIVersion, "MaaSModelRef", isvc.GetName(), isvc.GetNamespace(), isvc, cfg, map[string]*yaml.RNode{
		"modelRef": mapOf("kind", str("LLMInferenceService"), "name", str(isvc.GetName())),
	})
	_ = ref.PipeE(yaml.SetAnnotation(maas.DisplayNameAnnotation, display))
	_ = ref.PipeE(yaml.SetAnnotation(maas.DescriptionAnnotation, description))
	return ref
}

// networkPolicy lets in only the gateway and MaaS's API on port 8000, and lets out only DNS
// and the providers.
func networkPolicy(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	selector := mapOf(
		"app.kubernetes.io/name", str(isvc.GetName()),
		"app.kubernetes.io/part-of", str("llminferenceservice"),
		"kserve.io/component", str("workload"),
	)
	from := list()
	for _, ns := range uniqueSorted(cfg.GatewayNamespace, cfg.NetworkPolicy.MaaSAPINamespace) {
		appendTo(from, mapOf("namespaceSelector", mapOf("matchLabels", mapOf("kubernetes.io/metadata.name", str(ns)))))
	}
	dns := list()
	// 53 for the cluster DNS Service; 5353 because OpenShift's DNS pods listen there and
	// NetworkPolicy sees the port after the Service's translation.
	for _, port := range []int64{53, 5353} {
		for _, proto := range []string{"UDP", "TCP"} {
			appendTo(dns, mapOf("protocol", str(proto), "port", integer(port)))
		}
	}
	providerPorts := list()
	for _, port := range egressPorts(cfg) {
		appendTo(providerPorts, mapOf("protocol", str("TCP"), "port", integer(port)))
	}
	return object("networking.k8s.io/v1", "NetworkPolicy", isvc.GetName(), isvc.GetNamespace(), isvc, cfg, map[string]*yaml.RNode{
		"podSelector": mapOf("matchLabels", selector),
		"policyTypes": stringList([]string{"Ingress", "Egress"}),
		"ingress":     list(mapOf("from", from, "ports", list(mapOf("protocol", str("TCP"), "port", integer(kserve.Port))))),
		"egress":      list(mapOf("ports", dns), mapOf("ports", providerPorts)),
	})
}

// startupConfigMap holds the start-up program and its settings, which the pod mounts: the
// configuration the server runs, reviewable in Git and in Argo CD's diff. Its name carries
// a hash of its content, so that a change rolls the pod. It holds no secret: credentials
// reach the pod only as Secret references.
func startupConfigMap(isvc *yaml.RNode, cfg *config.Config) *yaml.RNode {
	o := object("v1", "ConfigMap", startup.ConfigMapName(isvc, cfg), isvc.GetNamespace(), isvc, cfg, nil)
	files := startup.Files(isvc, cfg)
	data := yaml.NewMapRNode(nil)
	for _, key := range []string{"launch.py", "settings.json"} {
		value := yaml.NewStringRNode(files[key])
		value.YNode().Style = yaml.LiteralStyle
		_ = data.PipeE(yaml.SetField(key, value))
	}
	_ = o.PipeE(yaml.SetField("data", data))
	return o
}

// IsStartupConfigMap reports whether obj is a start-up ConfigMap generated for the service
// named service, of any content.
func IsStartupConfigMap(obj *yaml.RNode, service string) bool {
	name, found := strings.CutPrefix(obj.GetName(), service+"-startup-")
	return found && obj.GetKind() == "ConfigMap" && len(name) == 10 && strings.Trim(name, "0123456789abcdef") == "" &&
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
	return object("v1", "PersistentVolumeClaim", config.NoWeightsClaim(isvc.GetName()), isvc.GetNamespace(), isvc, cfg, map[string]*yaml.RNode{
		"accessModes": stringList([]string{"ReadWriteOnce"}),
		"resources":   mapOf("requests", mapOf("storage", str("1Mi"))),
	})
}

// egressPorts are 443 for the providers' public APIs and the port of every URL setting.
func egressPorts(cfg *config.Config) []int64 {
	ports := map[int64]bool{443: true}
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
			ports[port] = true
		}
	}
	var out []int64
	for p := range ports {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// object builds apiVersion/kind name.namespace with the service's instance and provider
// labels and the given spec fields (in sorted order, for deterministic output).
func object(apiVersion, kind, name, namespace string, isvc *yaml.RNode, cfg *config.Config, spec map[string]*yaml.RNode) *yaml.RNode {
	o := yaml.NewMapRNode(nil)
	_ = o.PipeE(yaml.SetField("apiVersion", str(apiVersion)))
	_ = o.PipeE(yaml.SetField("kind", str(kind)))
	meta := mapOf("name", str(name))
	if namespace != "" {
		_ = meta.PipeE(yaml.SetField("namespace", str(namespace)))
	}
	_ = meta.PipeE(yaml.SetField("annotations", mapOf(v1alpha1.GeneratedForAnnotation, str(isvc.GetName()))))
	_ = meta.PipeE(yaml.SetField("labels", mapOf(
		v1alpha1.InstanceLabel, str(isvc.GetName()),
		v1alpha1.ProviderLabel, str(cfg.Providers[0].Provider.Name),
	)))
	_ = o.PipeE(yaml.SetField("metadata", meta))
	if spec == nil {
		return o
	}
	s := yaml.NewMapRNode(nil)
	keys := make([]string, 0, len(spec))
	for k := range spec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_ = s.PipeE(yaml.SetField(k, spec[k]))
	}
	_ = o.PipeE(yaml.SetField("spec", s))
	return o
}

func str(s string) *yaml.RNode { return yaml.NewStringRNode(s) }

func integer(n int64) *yaml.RNode {
	return yaml.NewRNode(&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(n, 10)})
}

// mapOf builds a mapping from alternating keys and values, in the order given.
func mapOf(kv ...any) *yaml.RNode {
	m := yaml.NewMapRNode(nil)
	for i := 0; i+1 < len(kv); i += 2 {
		_ = m.PipeE(yaml.SetField(kv[i].(string), kv[i+1].(*yaml.RNode)))
	}
	return m
}

func list(items ...*yaml.RNode) *yaml.RNode {
	l := yaml.NewListRNode()
	for _, item := range items {
		appendTo(l, item)
	}
	return l
}

func appendTo(l, item *yaml.RNode) {
	l.YNode().Content = append(l.YNode().Content, item.YNode())
}

func stringList(values []string) *yaml.RNode { return yaml.NewListRNode(values...) }

func groupList(groups []string) *yaml.RNode {
	l := list()
	for _, g := range groups {
		appendTo(l, mapOf("name", str(g)))
	}
	return l
}

// setList sets key to l unless l is empty.
func setList(m *yaml.RNode, key string, l *yaml.RNode) {
	if len(l.YNode().Content) > 0 {
		_ = m.PipeE(yaml.SetField(key, l))
	}
}

func uniqueSorted(values ...string) []string {
	sort.Strings(values)
	var out []string
	for i, v := range values {
		if i == 0 || v != values[i-1] {
			out = append(out, v)
		}
	}
	return out
}
