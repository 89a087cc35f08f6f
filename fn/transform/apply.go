package transform

import (
	"fmt"
	"net/url"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

// ModelNamePlaceholder is the spec.model.name of deploy/base, there so that kustomize patches
// of the field apply: the function's own value, replaced without a warning.
const ModelNamePlaceholder = "set-by-llamastack-integration"

// Outcome is what Apply did to one resource.
type Outcome struct {
	// Changes describe each field that changed, for the info result.
	Changes []string
	// Warnings are suspicious things the function accepted, and values it replaced.
	Warnings []diag.Problem
}

// applier changes one service for cfg, recording what it did in out. Its steps are small
// filters over the service, in the order the fields appear in the output.
type applier struct {
	isvc *yaml.RNode
	cfg  *config.Config
	out  Outcome
	// prefix starts each change of one provider when several are served.
	prefix string
}

// Apply changes isvc for cfg. Call it only when Check found nothing.
func Apply(isvc *yaml.RNode, cfg *config.Config) (Outcome, error) {
	a := &applier{isvc: isvc, cfg: cfg}
	for _, step := range []func() error{a.metadata, a.maasGoverned, a.model, a.router, a.template} {
		if err := step(); err != nil {
			return a.out, err
		}
	}
	if isvc.GetNamespace() == "" {
		a.warn("metadata.namespace", "is not set, so the model does not answer to publishers/<namespace>/models/%s, the name current MaaS lists; set the namespace (kustomize's namespace field, or kpt fn eval set-namespace)", truncate(cfg.Model()))
	}
	return a.out, nil
}

func (a *applier) changed(did bool, format string, args ...any) {
	if did {
		a.out.Changes = append(a.out.Changes, a.prefix+fmt.Sprintf(format, args...))
	}
}

func (a *applier) warn(path, format string, args ...any) {
	a.out.Warnings = append(a.out.Warnings, diag.New(path, format, args...))
}

// own sets key of mapping m, a field the function owns, to value. Another value the input
// had there is replaced with one warning that gives the old value, the new one and the
// setting it comes from, for every owned field alike. It reports whether m changed.
func (a *applier) own(m *yaml.Node, key, path, from string, value *yaml.Node) bool {
	old := field(m, key)
	if !setScalar(m, key, value) {
		return false
	}
	if old != nil && old.Kind == yaml.ScalarNode && !isNull(old) && old.Value != "" && old.Value != value.Value {
		a.warn(path, "was %s in the input; replaced by %s from %s", shown(old.Value), shown(value.Value), from)
	}
	return true
}

func (a *applier) ownString(m *yaml.Node, key, path, from, value string) bool {
	return a.own(m, key, path, from, stringNode(value))
}

func (a *applier) ownInt(m *yaml.Node, key, path, from string, value int) bool {
	return a.own(m, key, path, from, intNode(value))
}

func (a *applier) ownBool(m *yaml.Node, key, path, from string, value bool) bool {
	return a.own(m, key, path, from, boolNode(value))
}

// shown is a value as a warning may print it: never a credential or a URL's password,
// shortened, with characters a terminal would not show escaped.
func shown(value string) string {
	if config.LooksLikeCredential(value) {
		return fmt.Sprintf("a value that looks like a credential (%d characters, not repeated here)", len(value))
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		value = u.Redacted()
	}
	return yamlnode.Printable(truncate(value))
}

// metadata sets the labels and the legacy tiers annotation.
func (a *applier) metadata() error {
	meta, err := mapAt(a.isvc.YNode(), "metadata", "metadata")
	if err != nil {
		return err
	}
	labels, err := mapAt(meta, "labels", "metadata.labels")
	if err != nil {
		return err
	}
	const labelsPath = "metadata.labels."
	first, name := a.cfg.Providers[0].Provider.Name, a.isvc.GetName()
	a.changed(a.ownString(labels, v1alpha1.ProviderLabel, labelsPath+v1alpha1.ProviderLabel, "spec.provider", first), "label %s=%s", v1alpha1.ProviderLabel, first)
	a.changed(a.ownString(labels, v1alpha1.InstanceLabel, labelsPath+v1alpha1.InstanceLabel, "the service's name", name), "label %s=%s", v1alpha1.InstanceLabel, truncate(name))
	if !a.cfg.SetTiers {
		return nil
	}
	annotations, err := mapAt(meta, "annotations", "metadata.annotations")
	if err != nil {
		return err
	}
	tiers := maas.TiersAnnotationValue(a.cfg.Tiers)
	existing, ok := stringValue(annotations, maas.TiersAnnotation)
	if ok && sameTiers(existing, a.cfg.Tiers) {
		return nil
	}
	if ok {
		a.warn("metadata.annotations."+maas.TiersAnnotation, "was %s in the input; replaced by %s from spec.tiers", shown(existing), truncate(tiers))
	}
	setString(annotations, maas.TiersAnnotation, tiers)
	a.changed(true, "annotation %s=%s", maas.TiersAnnotation, truncate(tiers))
	return nil
}

// model sets spec.model and the model download: KServe requires spec.model.uri with a
// scheme even for a remote provider.
func (a *applier) model() error {
	spec, err := mapAt(a.isvc.YNode(), "spec", "spec")
	if err != nil {
		return err
	}
	model, err := mapAt(spec, "model", "spec.model")
	if err != nil {
		return err
	}
	if name, _ := stringValue(model, "name"); name == ModelNamePlaceholder {
		a.changed(setString(model, "name", a.cfg.Model()), "spec.model.name=%s", truncate(a.cfg.Model()))
	} else {
		a.changed(a.ownString(model, "name", "spec.model.name", "spec.model", a.cfg.Model()), "spec.model.name=%s", truncate(a.cfg.Model()))
	}
	// A placeholder (of any release) in the input is the function's own value: replaced
	// without a warning.
	current, _ := stringValue(model, "uri")
	uri, placeholder := ModelURI(a.isvc, a.cfg)
	switch {
	case placeholder:
		a.changed(setString(model, "uri", uri), "spec.model.uri=%s (placeholder: a remote provider needs no weights)", truncate(uri))
	case current == "" || config.PlaceholderURI(a.isvc.GetName(), current):
		a.changed(setString(model, "uri", uri), "spec.model.uri=%s", truncate(uri))
	default:
		a.changed(a.ownString(model, "uri", "spec.model.uri", "spec.modelURI", uri), "spec.model.uri=%s", truncate(uri))
	}
	a.storageInitializer(spec)
	return nil
}

// storageInitializer switches KServe's model download off, or removes the switch where the
// release does not have it.
func (a *applier) storageInitializer(spec *yaml.Node) {
	si := field(spec, "storageInitializer")
	switch {
	case a.cfg.SkipModelDownload:
		if isNull(si) {
			si = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			setField(spec, "storageInitializer", si)
		}
		a.changed(a.ownBool(si, "enabled", "spec.storageInitializer.enabled", "spec.skipModelDownload", false), "spec.storageInitializer.enabled=false (no model download)")
	case !a.cfg.KServe.StorageInitializerField && si != nil:
		removeField(spec, "storageInitializer")
		a.warn("spec.storageInitializer", "was removed: KServe %s has no such field, and its API server rejects it", a.cfg.KServe.Version)
		a.changed(true, "removed spec.storageInitializer")
	}
}

// router sets the gateway (exactly the configured one, with its namespace always written
// out, where the release accepts gateway refs with the managed route) and the route.
func (a *applier) router() error {
	spec := field(a.isvc.YNode(), "spec")
	router, err := mapAt(spec, "router", "spec.router")
	if err != nil {
		return err
	}
	if a.cfg.KServe.GatewayRefsWithRoute {
		gateway, err := mapAt(router, "gateway", "spec.router.gateway")
		if err != nil {
			return err
		}
		a.changed(a.gatewayRefs(gateway), "spec.router.gateway.refs=[%s/%s]", truncate(a.cfg.GatewayNamespace), truncate(a.cfg.GatewayName))
	} else {
		a.changed(a.removeGatewayRefs(router), "removed spec.router.gateway.refs (KServe %s routes to its ingress gateway)", a.cfg.KServe.Version)
	}
	if isNull(field(router, "route")) {
		setField(router, "route", &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Style: yaml.FlowStyle})
		a.changed(true, "spec.router.route={} (KServe creates the HTTPRoute)")
	}
	return nil
}

// gatewayRefs makes refs exactly [{name, namespace}] of cfg, warning about dropped refs.
func (a *applier) gatewayRefs(gateway *yaml.Node) bool {
	refs := field(gateway, "refs")
	var kept bool
	if !isNull(refs) {
		for _, r := range refs.Content {
			n, _ := stringValue(r, "name")
			ns, _ := stringValue(r, "namespace")
			if n == a.cfg.GatewayName && ns == a.cfg.GatewayNamespace {
				kept = true
				continue
			}
			a.warn("spec.router.gateway.refs", "replaced gateway ref %s/%s with %s/%s from spec.gateway", shown(ns), shown(n), truncate(a.cfg.GatewayNamespace), truncate(a.cfg.GatewayName))
		}
	}
	if kept && len(refs.Content) == 1 {
		return false
	}
	setField(gateway, "refs", &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{
		newMap("name", a.cfg.GatewayName, "namespace", a.cfg.GatewayNamespace),
	}})
	return true
}

// removeGatewayRefs drops spec.router.gateway.refs, which KServe v0.16's webhook rejects
// together with the managed route, and says where the route goes instead.
func (a *applier) removeGatewayRefs(router *yaml.Node) bool {
	gateway := field(router, "gateway")
	refs := field(gateway, "refs")
	if refs == nil {
		return false
	}
	if !isNull(refs) && len(refs.Content) > 0 {
		a.warn("spec.router.gateway.refs", "was removed: KServe %s rejects gateway refs together with the managed route; the route goes to the cluster's ingress gateway, so set ingress.kserveIngressGateway in inferenceservice-config to %s/%s",
			a.cfg.KServe.Version, truncate(a.cfg.GatewayNamespace), truncate(a.cfg.GatewayName))
	}
	removeField(gateway, "refs")
	if len(gateway.Content) == 0 {
		removeField(router, "gateway")
	}
	return true
}

// template makes the main container a Llama Stack server for the configured providers.
func (a *applier) template() error {
	template, err := mapAt(field(a.isvc.YNode(), "spec"), "template", "spec.template")
	if err != nil {
		return err
	}
	containers := field(template, "containers")
	if isNull(containers) {
		containers = &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		setField(template, "containers", containers)
	}
	i := itemByName(containers, kserve.MainContainer)
	if i < 0 {
		containers.Content = append([]*yaml.Node{newMap("name", kserve.MainContainer)}, containers.Content...)
		i = 0
		a.changed(true, "added container main")
	}
	main := containers.Content[i]
	a.mainContainer(template, main)
	for _, pc := range a.cfg.Providers {
		if len(a.cfg.Providers) > 1 {
			a.prefix = pc.Provider.Name + ": " // say which env came from which provider
		}
		a.provider(template, main, pc)
	}
	a.prefix = ""
	a.identity(template, main)
	a.otherCredentials(main)
	return nil
}

// sameTiers reports whether an annotation value already lists exactly tiers (spacing aside).
func sameTiers(annotationValue string, tiers []string) bool {
	existing, ok := maas.Tiers(annotationValue)
	return ok && (slices.Equal(existing, tiers) || (len(existing) == 0 && len(tiers) == 0))
}

// ModelURI is the spec.model.uri the function writes for isvc (see Config.ModelURIFor).
func ModelURI(isvc *yaml.RNode, cfg *config.Config) (uri string, placeholder bool) {
	current, _ := stringValue(field(field(isvc.YNode(), "spec"), "model"), "uri")
	return cfg.ModelURIFor(isvc.GetName(), current)
}
