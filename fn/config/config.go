// Package config reads the function's functionConfig, either a LlamastackIntegration or a
// ConfigMap (kpt fn eval -- key=value), checks it strictly, applies the documented defaults
// and returns the settings the transforms work from.
package config

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// Config is the functionConfig with every default applied and every value checked.
type Config struct {
	// Providers are the providers to serve, the first one's model as spec.model.name.
	Providers []ProviderConfig
	// GatewayName and GatewayNamespace locate the gateway.
	GatewayName, GatewayNamespace string
	// Tiers is the legacy tiers list; SetTiers says whether to write the annotation at all.
	Tiers    []string
	SetTiers bool
	// TargetName and TargetNamespace select LLMInferenceServices; empty matches all.
	TargetName, TargetNamespace string
	// Image is spec.image; empty means keep the base's image or use the default.
	Image string
	// ModelURI is spec.modelURI; empty means keep the base's uri or use the placeholder.
	ModelURI string
	// SkipModelDownload writes spec.storageInitializer.enabled=false.
	SkipModelDownload bool
	// KServe is the release line the output is for.
	KServe kserve.Release
	// TLS says whether Llama Stack serves HTTPS.
	TLS bool
	// Line is the server line of spec.image (or of spec.imageLine, or of the default image);
	// LineFromImage says it was read from spec.image or the default, not set by imageLine.
	Line          llamastack.Line
	LineFromImage bool
	// lineChecked says the line-specific checks (providers the image ships, PostgreSQL) ran:
	// not while the line may still come from a service's own image (WithLine).
	lineChecked bool
	// byLine holds WithLine's results.
	byLine map[string]lineConfig
	// RunAsUser, when set, is the pod's UID, GID and fsGroup.
	RunAsUser *int64
	// Postgres is where the server keeps its state; nil means SQLite on the data volume.
	Postgres *Postgres
	// Quiet leaves the summary lines out of stderr.
	Quiet bool
	// ProgramService is the service of the namespace whose name the program's ConfigMap,
	// shared by the namespace's services in the run, carries (set per service by the
	// processor); empty means the service's own.
	ProgramService string

	// spec and prefix are what the config was resolved from, for WithLine.
	spec   v1alpha1.Spec
	prefix string
	// MaaS, with its defaults applied, or nil for no MaaS objects.
	MaaS *v1alpha1.MaaS
	// NetworkPolicy, with its defaults applied, or nil for none.
	NetworkPolicy *v1alpha1.NetworkPolicy
	// Network is spec.network, the providers' network and spec.trustedCA, or nil for none.
	Network *Network
}

// ProviderConfig is one provider with its defaults applied.
type ProviderConfig struct {
	Provider providers.Provider
	// Model is the model served for this provider.
	Model string
	// SecretName is the provider's Secret; empty when the provider reads none.
	SecretName string
	// SecretKeys maps each variable read from the Secret (credentials file included) to
	// its key in the Secret.
	SecretKeys map[string]string
	// Settings are the plain settings by variable name.
	Settings map[string]string
	// Identity is the provider's workload identity, or nil (identity.go).
	Identity *Identity
}

// Model is the model KServe serves: the first provider's.
func (c *Config) Model() string { return c.Providers[0].Model }

// ImageFor is the image of a main container whose base image is base: spec.image, else the
// base's, else the default.
func (c *Config) ImageFor(base string) string {
	return cmp.Or(c.Image, base, llamastack.DefaultImage)
}

// ModelURIFor is the spec.model.uri of the service named service whose base has the uri
// current: spec.modelURI, else the base's own uri, else (or in place of a placeholder of
// another release) the placeholder, which is reported as such.
//
// The placeholder suits a server that needs no weights: a Hugging Face URI that is never
// downloaded (storageInitializer.enabled=false), or, where the release cannot switch the
// download off, the empty PersistentVolumeClaim NoWeightsClaim, which KServe mounts without
// an init container.
func (c *Config) ModelURIFor(service, current string) (uri string, placeholder bool) {
	if c.ModelURI != "" {
		return c.ModelURI, false
	}
	if current != "" && !PlaceholderURI(service, current) {
		return current, false
	}
	if c.KServe.StorageInitializerField {
		return v1alpha1.DefaultModelURI, true
	}
	return NoWeightsURI(service), true
}

// PlaceholderURI reports whether uri is a placeholder the function writes for the service
// (of any KServe release).
func PlaceholderURI(service, uri string) bool {
	return uri == v1alpha1.DefaultModelURI || uri == NoWeightsURI(service)
}

// NoWeightsClaim names the empty PersistentVolumeClaim generated for a service where the
// KServe release cannot switch the model download off; NoWeightsURI is its model URI.
func NoWeightsClaim(service string) string { return service + "-no-weights" }

// NoWeightsURI is the model URI of NoWeightsClaim.
func NoWeightsURI(service string) string { return "pvc://" + NoWeightsClaim(service) }

// Source says what the functionConfig was, for messages: kind, apiVersion and name.
type Source struct {
	APIVersion, Kind, Name string
}

// Load reads the functionConfig. It returns the config, or the errors that stop the function;
// warnings are returned in both cases.
func Load(fc *yaml.RNode) (cfg *Config, src Source, errs, warnings []diag.Problem) {
	if fc == nil || fc.YNode() == nil || isNull(fc.YNode()) || (fc.YNode().Kind == yaml.MappingNode && len(fc.YNode().Content) == 0) {
		return nil, src, []diag.Problem{{Message: fmt.Sprintf("no functionConfig was given; pass a %s (apiVersion %s) with at least spec.provider (one of: %s)",
			v1alpha1.Kind, v1alpha1.APIVersion, strings.Join(providers.Names(), ", "))}}, nil
	}
	if fc.YNode().Kind != yaml.MappingNode {
		return nil, src, []diag.Problem{{Message: fmt.Sprintf("the functionConfig must be a %s object, not %s", v1alpha1.Kind, describe(fc.YNode()))}}, nil
	}
	if problem := yamlnode.CheckObjectShape(fc.YNode()); problem != "" {
		return nil, src, []diag.Problem{{Message: "the functionConfig's " + problem}}, nil
	}
	src = Source{APIVersion: fc.GetApiVersion(), Kind: fc.GetKind(), Name: fc.GetName()}

	var specNode *yaml.Node
	var prefix string
	switch {
	case src.Kind == v1alpha1.Kind:
		if src.APIVersion != v1alpha1.APIVersion {
			return nil, src, []diag.Problem{{Path: "apiVersion", Message: fmt.Sprintf("%q is not a version of %s; use apiVersion: %s", truncate(src.APIVersion), v1alpha1.Kind, v1alpha1.APIVersion)}}, nil
		}
		if errs := checkShape(fc.YNode(), reflect.TypeOf(v1alpha1.LlamastackIntegration{}), ""); len(errs) > 0 {
			return nil, src, errs, nil
		}
		if n := fc.Field("spec"); n != nil {
			specNode = n.Value.YNode()
		}
		prefix = "spec"
	case src.Kind == "ConfigMap" && (src.APIVersion == "v1" || src.APIVersion == ""):
		var problems []diag.Problem
		specNode, problems = specFromConfigMap(fc)
		if len(problems) > 0 {
			return nil, src, problems, nil
		}
		prefix = "data"
	default:
		return nil, src, []diag.Problem{{Path: "kind", Message: fmt.Sprintf("a functionConfig of kind %q (apiVersion %q) is not supported; use kind: %s with apiVersion: %s, or a v1 ConfigMap of key=value settings",
			truncate(src.Kind), truncate(src.APIVersion), v1alpha1.Kind, v1alpha1.APIVersion)}}, nil
	}

	if specNode == nil || isNull(specNode) || len(specNode.Content) == 0 {
		return nil, src, []diag.Problem{{Path: prefix, Message: fmt.Sprintf("is empty; set %s.provider to one of: %s", prefix, strings.Join(providers.Names(), ", "))}}, nil
	}
	var spec v1alpha1.Spec
	if err := yaml.NewRNode(specNode).YNode().Decode(&spec); err != nil {
		// checkShape has already accepted the shape, so this is unexpected; say so plainly.
		return nil, src, []diag.Problem{{Path: prefix, Message: "cannot be read: " + err.Error()}}, nil
	}
	cfg, errs, warnings = resolve(spec, prefix)
	return cfg, src, errs, warnings
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	secretKey    = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	uriScheme    = regexp.MustCompile(`^([a-z][a-z0-9+.-]*)://.+`)
)

// modelURISchemes are the schemes KServe's LLMInferenceService controller accepts for
// spec.model.uri (oci+native since v0.20).
var modelURISchemes = []string{"hf", "oci", "oci+native", "pvc", "s3"}

// resolve applies defaults and checks values. prefix is "spec" or "data", for paths.
func resolve(spec v1alpha1.Spec, prefix string) (*Config, []diag.Problem, []diag.Problem) {
	r := &resolver{spec: spec, prefix: prefix, cfg: &Config{
		GatewayName:      v1alpha1.DefaultGatewayName,
		GatewayNamespace: v1alpha1.DefaultGatewayNamespace,
		Image:            spec.Image,
		ModelURI:         spec.ModelURI,
		Quiet:            spec.Quiet,
	}}
	for _, step := range []func(){r.line, r.user, r.storage, r.providers, r.placement, r.kserveRelease, r.checkStrings, r.maasObjects, r.networkPolicy, r.network} {
		step()
	}
	if len(r.errs) > 0 {
		return nil, r.errs, r.warnings
	}
	r.cfg.spec, r.cfg.prefix, r.cfg.lineChecked = spec, prefix, !r.lineOpen()
	return r.cfg, nil, r.warnings
}

// resolver resolves one spec into cfg, step by step, collecting every problem.
type resolver struct {
	spec           v1alpha1.Spec
	prefix         string
	cfg            *Config
	errs, warnings []diag.Problem
}

// p is the path of a spec field in messages: spec.<field>, or data.<field> for a ConfigMap.
func (r *resolver) p(field string) string { return r.prefix + "." + field }

// lineOpen says the line is not the spec's own (neither image nor imageLine is set), so each
// service's image decides it and the line's own checks wait for WithLine.
func (r *resolver) lineOpen() bool { return r.spec.Image == "" && r.spec.ImageLine == "" }

func (r *resolver) add(errs, warnings []diag.Problem) {
	r.errs, r.warnings = append(r.errs, errs...), append(r.warnings, warnings...)
}

// line picks the server line: spec.imageLine, else the line of spec.image or the default.
func (r *resolver) line() {
	line, errs := resolveLine(r.spec, r.p)
	r.add(errs, nil)
	r.cfg.Line, r.cfg.LineFromImage = line, r.spec.ImageLine == ""
}

func (r *resolver) user() {
	u := r.spec.RunAsUser
	if u == nil {
		return
	}
	if *u < 1 || *u > 2147483647 {
		r.add([]diag.Problem{diag.New(r.p("runAsUser"), "is %d; give a non-root UID from 1 to 2147483647, for example 1001", *u)}, nil)
	}
	r.cfg.RunAsUser = u
}

// providers resolves the single-provider fields, or the providers list, never both.
func (r *resolver) providers() {
	spec := r.spec
	singleSet := spec.Provider != "" || spec.Model != "" || spec.APIKeySecret != nil || spec.Settings != nil || spec.Identity != nil
	switch {
	case spec.Providers != nil && singleSet:
		r.add([]diag.Problem{diag.New(r.p("providers"), "cannot be combined with provider, model, apiKeySecret, settings or identity; move them into the providers list, or drop providers")}, nil)
	case spec.Providers != nil && len(spec.Providers) == 0:
		r.add([]diag.Problem{diag.New(r.p("providers"), "is empty; list at least one provider, or use provider instead")}, nil)
	case spec.Providers != nil:
		seen := map[string]bool{}
		for i, ps := range spec.Providers {
			path := fmt.Sprintf("%s[%d]", r.p("providers"), i)
			if seen[ps.Provider] && ps.Provider != "" {
				r.add([]diag.Problem{diag.New(path+".provider", "%q is listed twice; list each provider once", truncate(ps.Provider))}, nil)
				continue
			}
			seen[ps.Provider] = true
			r.provider(ps, path)
		}
		r.add(checkServiceAccounts(r.cfg.Providers, r.p("providers")), nil)
	default:
		r.provider(v1alpha1.ProviderSpec{Provider: spec.Provider, Model: spec.Model, APIKeySecret: spec.APIKeySecret, Settings: spec.Settings, Identity: spec.Identity}, r.prefix)
	}
}

func (r *resolver) provider(ps v1alpha1.ProviderSpec, path string) {
	pc, errs, warnings := resolveProvider(ps, path, r.cfg.Line, r.lineOpen())
	r.add(errs, warnings)
	r.cfg.Providers = append(r.cfg.Providers, pc)
}

// placement resolves the gateway, the tiers and the target.
func (r *resolver) placement() {
	if g := r.spec.Gateway; g != nil {
		r.cfg.GatewayName = cmp.Or(g.Name, r.cfg.GatewayName)
		r.cfg.GatewayNamespace = cmp.Or(g.Namespace, r.cfg.GatewayNamespace)
	}
	if r.spec.Tiers != nil {
		r.cfg.SetTiers = true
		r.cfg.Tiers = append([]string{}, (*r.spec.Tiers)...)
	}
	if t := r.spec.Target; t != nil {
		r.cfg.TargetName, r.cfg.TargetNamespace = t.Name, t.Namespace
	}
}

func (r *resolver) kserveRelease() {
	r.add(resolveKServe(r.spec, r.cfg, r.p))
}

// checkStrings checks the strings written into the LLMInferenceService, whose merged spec KServe
// renders as a Go template (a literal {{ would be executed, or fail, there), and the names.
func (r *resolver) checkStrings() {
	for _, f := range []struct{ path, value string }{{"image", r.spec.Image}, {"modelURI", r.spec.ModelURI}} {
		if hasTemplate(f.value) {
			r.add([]diag.Problem{templateProblem(r.p(f.path), f.value)}, nil)
		}
	}
	r.add(checkNames(r.cfg, r.p), nil)
	r.add(checkImageAndURI(r.spec, r.p))
}

func (r *resolver) maasObjects() {
	if r.spec.MaaS == nil {
		return
	}
	maas, errs := resolveMaaS(*r.spec.MaaS, r.p("maas"))
	r.add(errs, nil)
	r.cfg.MaaS = maas
}

func (r *resolver) networkPolicy() {
	if r.spec.NetworkPolicy == nil {
		return
	}
	np := *r.spec.NetworkPolicy
	np.MaaSAPINamespace = cmp.Or(np.MaaSAPINamespace, v1alpha1.DefaultMaaSAPINamespace)
	r.add(checkName(r.p("networkPolicy.maasAPINamespace"), np.MaaSAPINamespace, "namespace", dnsLabel, 63), nil)
	r.cfg.NetworkPolicy = &np
}

// WithLine is the config for a service whose own image (the base's, spec.image being unset)
// belongs to line: cfg itself when that is its line and its checks ran, else the spec
// resolved again for line, since the providers' variables differ between lines and each
// line ships its own providers.
func (c *Config) WithLine(line string) (*Config, []diag.Problem, []diag.Problem) {
	if (c.Line.Name == line && c.lineChecked) || !c.LineFromImage {
		return c, nil, nil
	}
	if r, ok := c.byLine[line]; ok {
		return r.cfg, r.errs, r.warnings // every service of a line shares its config
	}
	spec := c.spec
	spec.ImageLine = line
	cfg, errs, warnings := resolve(spec, c.prefix)
	if cfg != nil {
		cfg.LineFromImage = true
	}
	if c.byLine == nil {
		c.byLine = map[string]lineConfig{}
	}
	c.byLine[line] = lineConfig{cfg, errs, warnings}
	return cfg, errs, warnings
}

// lineConfig is WithLine's result for one line.
type lineConfig struct {
	cfg            *Config
	errs, warnings []diag.Problem
}

// checkNames checks the names the config writes or selects by: the gateway, the target and
// the tiers.
func checkNames(cfg *Config, p func(string) string) []diag.Problem {
	var errs []diag.Problem
	errs = append(errs, checkName(p("gateway.name"), cfg.GatewayName, "gateway", dnsSubdomain, 253)...)
	errs = append(errs, checkName(p("gateway.namespace"), cfg.GatewayNamespace, "namespace", dnsLabel, 63)...)
	if cfg.TargetName != "" {
		errs = append(errs, checkName(p("target.name"), cfg.TargetName, "LLMInferenceService", dnsSubdomain, 253)...)
	}
	if cfg.TargetNamespace != "" {
		errs = append(errs, checkName(p("target.namespace"), cfg.TargetNamespace, "namespace", dnsLabel, 63)...)
	}
	seenTier := map[string]bool{}
	for i, tier := range cfg.Tiers {
		path := fmt.Sprintf("%s[%d]", p("tiers"), i)
		errs = append(errs, checkName(path, tier, "tier", dnsLabel, 63)...)
		if seenTier[tier] {
			errs = append(errs, diag.Problem{Path: path, Message: fmt.Sprintf("tier %q is listed twice; list each tier once", truncate(tier))})
		}
		seenTier[tier] = true
	}

	return errs
}

// checkImageAndURI checks spec.image and spec.modelURI.
func checkImageAndURI(spec v1alpha1.Spec, p func(string) string) (errs, warnings []diag.Problem) {
	if spec.Image != "" && !hasTemplate(spec.Image) {
		switch {
		case strings.ContainsAny(spec.Image, " \t\n"):
			errs = append(errs, diag.Problem{Path: p("image"), Message: fmt.Sprintf("%q contains white space; give an image reference such as %s", truncate(spec.Image), llamastack.DefaultImage)})
		case llamastack.Unpinned(spec.Image):
			warnings = append(warnings, diag.Problem{Path: p("image"), Message: llamastack.UnpinnedWarning(truncate(spec.Image))})
		}
	}
	if spec.ModelURI != "" && !hasTemplate(spec.ModelURI) {
		if m := uriScheme.FindStringSubmatch(spec.ModelURI); m == nil || !slices.Contains(modelURISchemes, m[1]) {
			errs = append(errs, diag.Problem{Path: p("modelURI"), Message: fmt.Sprintf("%q is not a model URI that KServe accepts; use one of the schemes %s:// (for example %s)",
				truncate(spec.ModelURI), strings.Join(modelURISchemes, "://, "), v1alpha1.DefaultModelURI)})
		}
	}

	return errs, warnings
}

// resolveLine finds the server line: spec.imageLine, else the line of spec.image's
// repository, else the default image's.
func resolveLine(spec v1alpha1.Spec, p func(string) string) (llamastack.Line, []diag.Problem) {
	if spec.ImageLine != "" {
		line, ok := llamastack.LineNamed(spec.ImageLine)
		if !ok {
			return llamastack.Line{}, []diag.Problem{{Path: p("imageLine"), Message: fmt.Sprintf("%q is not a server line; use one of %s", truncate(spec.ImageLine), strings.Join(llamastack.LineNames(), ", "))}}
		}
		return line, nil
	}
	image := cmp.Or(spec.Image, llamastack.DefaultImage)
	known, ok := llamastack.ImageOf(image)
	if !ok {
		known, _ = llamastack.ImageOf(llamastack.DefaultImage)
	}
	line, _ := llamastack.LineNamed(known.Line)
	return line, nil
}

// resolveKServe sets what depends on the KServe release: the release itself, TLS and the
// model download, and checks that they go together.
func resolveKServe(spec v1alpha1.Spec, cfg *Config, p func(string) string) (errs, warnings []diag.Problem) {
	cfg.KServe = kserve.Default()
	if spec.KServeVersion != "" {
		release, ok := kserve.Lookup(spec.KServeVersion)
		if !ok {
			return []diag.Problem{{Path: p("kserveVersion"), Message: fmt.Sprintf("%q is not a KServe release this function knows; use one of %s (the first with LLMInferenceService is v0.16)",
				truncate(spec.KServeVersion), strings.Join(kserve.Versions(), ", "))}}, nil
		}
		cfg.KServe = release
	}
	version := cfg.KServe.Version

	cfg.TLS = true
	if spec.TLS != nil {
		cfg.TLS = *spec.TLS
		if !cfg.TLS && !cfg.KServe.TLSFollowsCluster {
			errs = append(errs, diag.Problem{Path: p("tls"), Message: fmt.Sprintf("is false, but KServe %s always routes HTTPS to the workload (its Service's appProtocol is https); remove tls", version)})
		}
	}

	cfg.SkipModelDownload = cfg.KServe.StorageInitializerField
	if s := spec.SkipModelDownload; s != nil {
		if *s && !cfg.KServe.StorageInitializerField {
			errs = append(errs, diag.Problem{Path: p("skipModelDownload"), Message: fmt.Sprintf("KServe %s has no spec.storageInitializer, so its API server would reject the output; remove skipModelDownload (the function points the model URI at an empty PVC instead)", version)})
		}
		cfg.SkipModelDownload = *s && cfg.KServe.StorageInitializerField
	}
	downloads := strings.HasPrefix(spec.ModelURI, "hf://") || strings.HasPrefix(spec.ModelURI, "s3://")
	switch {
	case !cfg.KServe.StorageInitializerField && downloads:
		warnings = append(warnings, diag.Problem{Path: p("modelURI"), Message: fmt.Sprintf("KServe %s downloads %s with an init container that has no securityContext, so the pod fails Pod Security \"restricted\"; use pvc://<claim> or leave modelURI unset", version, truncate(spec.ModelURI))})
	case !cfg.SkipModelDownload && cfg.KServe.StorageInitializerField && spec.ModelURI == "":
		warnings = append(warnings, diag.Problem{Path: p("skipModelDownload"), Message: "is false, so KServe's init container downloads the model URI before Llama Stack starts, and the placeholder URI does not exist; set modelURI to a model that does, or remove skipModelDownload"})
	}
	return errs, warnings
}

// resolveProvider applies one provider's defaults and checks its fields; path is where the
// provider's fields live ("spec", "data" or "spec.providers[i]").
func resolveProvider(ps v1alpha1.ProviderSpec, path string, line llamastack.Line, lineOpen bool) (ProviderConfig, []diag.Problem, []diag.Problem) {
	var errs, warnings []diag.Problem
	p := func(field string) string { return path + "." + field }
	provider, ok := providers.Lookup(ps.Provider)
	switch {
	case ps.Provider == "":
		return ProviderConfig{}, []diag.Problem{{Path: p("provider"), Message: "is required; set it to one of: " + strings.Join(providers.Names(), ", ")}}, nil
	case !ok:
		msg := fmt.Sprintf("unknown provider %q", truncate(ps.Provider))
		if guess := closest(ps.Provider, providers.Names()); guess != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", guess)
		}
		return ProviderConfig{}, []diag.Problem{{Path: p("provider"), Message: msg + "; valid providers: " + strings.Join(providers.Names(), ", ")}}, nil
	}
	if problem := providerOnLine(provider, line, lineOpen); problem != "" {
		return ProviderConfig{}, []diag.Problem{{Path: p("provider"), Message: problem}}, nil
	}
	provider = provider.ForLine(line.Family)
	pc := ProviderConfig{Provider: provider, Model: cmp.Or(ps.Model, provider.DefaultModel), Settings: map[string]string{}}

	switch {
	case hasTemplate(ps.Model):
		errs = append(errs, templateProblem(p("model"), ps.Model))
	case pc.Model == "":
		errs = append(errs, diag.Problem{Path: p("model"), Message: fmt.Sprintf("is required for %s, which serves whatever model its server runs; give that model's name", provider.Name)})
	case strings.ContainsAny(pc.Model, " \t\n"):
		errs = append(errs, diag.Problem{Path: p("model"), Message: fmt.Sprintf("%q contains white space; use the provider's model ID, for example %s", truncate(pc.Model), cmp.Or(provider.DefaultModel, "llama-3.3-70b"))})
	case ps.Model != "" && len(provider.KnownModels) > 0 && !provider.KnowsModel(ps.Model):
		warnings = append(warnings, diag.Problem{Path: p("model"), Message: fmt.Sprintf("model %q is not among the %s models this function knows (%s); it is used as given, check the spelling against the provider's model list",
			truncate(ps.Model), provider.DisplayName, strings.Join(provider.KnownModels, ", "))})
	}

	errs = append(errs, resolveSecret(ps, provider, &pc, p)...)

	e, w := resolveSettings(ps.Settings, provider, &pc, p, line.Name)
	e = append(e, resolveIdentity(ps, &pc, p, line, lineOpen)...)
	return pc, append(errs, e...), append(warnings, w...)
}

// providerOnLine says why the line's image cannot serve the provider, or "". A provider of
// the starters' family that a distribution image lacks is told per service (lineOpen).
func providerOnLine(provider providers.Provider, line llamastack.Line, lineOpen bool) string {
	if !provider.OnLine(line.Family) {
		return fmt.Sprintf("%s is a provider of the %s line only, and the image is of the %s line; use an image of the %s line (spec.image)",
			provider.Name, strings.Join(provider.Lines, ", "), line.Name, strings.Join(provider.Lines, ", "))
	}
	if !lineOpen && line.Providers != nil && !slices.Contains(line.Providers, provider.Name) {
		return fmt.Sprintf("the %s line (%s) does not ship %s: its image's configuration has only %s; use a starter image (spec.image) for %s",
			line.Name, line.Versions, provider.Name, strings.Join(line.Providers, ", "), provider.Name)
	}
	return ""
}

// resolveSettings checks a provider's plain settings into pc.Settings: each known, not a
// credential, of its kind, and every required one set.
func resolveSettings(settings map[string]string, provider providers.Provider, pc *ProviderConfig, p func(string) string, line string) (errs, warnings []diag.Problem) {
	for _, env := range slices.Sorted(maps.Keys(settings)) {
		value := settings[env]
		settingPath := p("settings." + env)
		setting, known := provider.Setting(env)
		switch {
		case slices.Contains(provider.SecretEnvNames(), env):
			errs = append(errs, diag.Problem{Path: settingPath, Message: "is a credential; put it in the Secret named by apiKeySecret, never in the spec", Redact: true})
		case !known && len(provider.Settings) == 0:
			errs = append(errs, diag.Problem{Path: settingPath, Message: fmt.Sprintf("%s takes no settings; remove it", provider.Name)})
		case !known:
			msg := fmt.Sprintf("is not a setting of %s", provider.Name)
			if guess := closest(env, provider.SettingNames()); guess != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", guess)
			}
			errs = append(errs, diag.Problem{Path: settingPath, Message: msg + "; valid settings: " + strings.Join(provider.SettingNames(), ", ")})
		default:
			if problem := checkSetting(setting, value); problem != "" {
				u, err := url.Parse(value)
				errs = append(errs, diag.Problem{Path: settingPath, Message: problem, Redact: err == nil && u.User != nil})
				continue
			}
			if setting.Suffix != "" && !strings.HasSuffix(strings.TrimRight(value, "/"), setting.Suffix) {
				warnings = append(warnings, diag.Problem{Path: settingPath, Message: fmt.Sprintf("%q does not end in %s, which the %s line's starter distribution expects of this URL; add it unless your server serves the API elsewhere",
					truncate(value), setting.Suffix, line)})
			}
			pc.Settings[env] = value
		}
	}
	for _, s := range provider.Settings {
		if _, set := settings[s.Env]; s.Required && !set {
			errs = append(errs, diag.Problem{Path: p("settings." + s.Env), Message: fmt.Sprintf("is required for %s; set it under settings", provider.Name)})
		}
	}
	return errs, warnings
}

// resolveSecret sets the provider's Secret name and keys from apiKeySecret and the defaults.
func resolveSecret(ps v1alpha1.ProviderSpec, provider providers.Provider, pc *ProviderConfig, p func(string) string) []diag.Problem {
	var errs []diag.Problem
	if !provider.NeedsSecret() {
		if ps.APIKeySecret != nil {
			errs = append(errs, diag.Problem{Path: p("apiKeySecret"), Message: fmt.Sprintf("%s reads no credentials; remove apiKeySecret", provider.Name)})
		}
	} else {
		pc.SecretName = v1alpha1.DefaultSecretName(provider.Name)
		pc.SecretKeys = map[string]string{}
		for _, s := range provider.Secrets {
			pc.SecretKeys[s.Env] = s.Key
		}
		if provider.Credentials != nil {
			pc.SecretKeys[provider.Credentials.Env] = provider.Credentials.Key
		}
		if s := ps.APIKeySecret; s != nil {
			pc.SecretName = cmp.Or(s.Name, pc.SecretName)
			if s.Key != "" {
				if len(pc.SecretKeys) > 1 {
					var keys []string
					for _, sec := range provider.Secrets {
						keys = append(keys, sec.Key)
					}
					errs = append(errs, diag.Problem{Path: p("apiKeySecret.key"), Message: fmt.Sprintf("%s reads several keys of its Secret (%s); name them so in the Secret and remove key", provider.Name, strings.Join(keys, ", "))})
				} else {
					for env := range pc.SecretKeys {
						pc.SecretKeys[env] = s.Key
					}
				}
			}
		}
		errs = append(errs, checkName(p("apiKeySecret.name"), pc.SecretName, "Secret", dnsSubdomain, 253)...)
		for _, key := range slices.Compact(slices.Sorted(maps.Values(pc.SecretKeys))) {
			if len(key) > 253 || !secretKey.MatchString(key) {
				errs = append(errs, diag.Problem{Path: p("apiKeySecret.key"), Message: fmt.Sprintf("%q is not a valid Secret key; use letters, digits, '-', '_' and '.' only (at most 253), for example api-key", truncate(key))})
			}
		}
	}

	return errs
}

// checkURL checks an http(s) URL setting: a scheme, a host, a port from 1 to 65535 (IPv6
// literals in brackets), and no user information, which would put a password in the manifest
// in plain text; that one is never echoed.
func checkURL(value string) string {
	u, err := url.Parse(value)
	switch {
	case err == nil && u.User != nil:
		u.User = nil
		return fmt.Sprintf("carries a user name or password (https://user:password@host); never put credentials in the spec: remove them (%s) and put the key in the Secret named by apiKeySecret", truncate(u.String()))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		return fmt.Sprintf("%q is not an http(s) URL; give one such as https://example.com/v1", truncate(value))
	case u.Port() != "":
		if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
			return fmt.Sprintf("%q has the port %s; use a port from 1 to 65535", truncate(value), u.Port())
		}
	}
	return ""
}

// checkSetting checks a setting's value by its kind and returns a problem, or "".
func checkSetting(s providers.Setting, value string) string {
	switch {
	case value == "":
		return "must not be empty"
	case hasTemplate(value):
		return templateProblem("", value).Message
	}
	switch s.Kind {
	case providers.URL:
		return checkURL(value)
	case providers.Bool:
		if value != "true" && value != "false" {
			return fmt.Sprintf("must be \"true\" or \"false\", not %q", truncate(value))
		}
	case providers.Int:
		if n, err := strconv.Atoi(value); err != nil || n < 1 {
			return fmt.Sprintf("must be a positive whole number, not %q", truncate(value))
		}
	}
	return ""
}

var windowPattern = regexp.MustCompile(`^[1-9]\d{0,3}(s|m|h)$`)

// resolveMaaS applies MaaS defaults and checks what MaaS's CRDs would reject.
func resolveMaaS(m v1alpha1.MaaS, path string) (*v1alpha1.MaaS, []diag.Problem) {
	var errs []diag.Problem
	if m.ModelRef == nil && (m.AuthPolicy != nil || m.Subscription != nil) {
		errs = append(errs, diag.Problem{Path: path + ".modelRef", Message: "is required with authPolicy or subscription, which refer to the MaaSModelRef; add modelRef: {}"})
	}
	if m.ModelRef == nil && m.AuthPolicy == nil && m.Subscription == nil {
		errs = append(errs, diag.Problem{Path: path, Message: "is empty; set modelRef: {} (and optionally authPolicy and subscription), or remove maas"})
	}
	errs = append(errs, checkModelDetails(path+".modelRef", m.ModelRef)...)
	if a := m.AuthPolicy; a != nil {
		a.Namespace = cmp.Or(a.Namespace, v1alpha1.DefaultMaaSNamespace)
		errs = append(errs, checkName(path+".authPolicy.namespace", a.Namespace, "namespace", dnsLabel, 63)...)
		if len(a.Groups)+len(a.Users) == 0 {
			errs = append(errs, diag.Problem{Path: path + ".authPolicy", Message: "needs at least one of groups or users: who may use the model"})
		}
		errs = append(errs, nonEmpty(path+".authPolicy.groups", a.Groups)...)
		errs = append(errs, nonEmpty(path+".authPolicy.users", a.Users)...)
	}
	if s := m.Subscription; s != nil {
		s.Namespace = cmp.Or(s.Namespace, v1alpha1.DefaultMaaSNamespace)
		errs = append(errs, checkName(path+".subscription.namespace", s.Namespace, "namespace", dnsLabel, 63)...)
		if len(s.OwnerGroups)+len(s.OwnerUsers) == 0 {
			errs = append(errs, diag.Problem{Path: path + ".subscription", Message: "needs at least one of ownerGroups or ownerUsers"})
		}
		errs = append(errs, nonEmpty(path+".subscription.ownerGroups", s.OwnerGroups)...)
		errs = append(errs, nonEmpty(path+".subscription.ownerUsers", s.OwnerUsers)...)
		if len(s.TokenRateLimits) == 0 {
			errs = append(errs, diag.Problem{Path: path + ".subscription.tokenRateLimits", Message: "needs at least one limit, for example [{limit: 100000, window: 1h}]"})
		}
		for i, l := range s.TokenRateLimits {
			lp := fmt.Sprintf("%s.subscription.tokenRateLimits[%d]", path, i)
			if l.Limit < 1 || l.Limit > 1_000_000_000 {
				errs = append(errs, diag.Problem{Path: lp + ".limit", Message: fmt.Sprintf("is %d; use 1 to 1000000000 tokens", l.Limit)})
			}
			if !windowPattern.MatchString(l.Window) {
				errs = append(errs, diag.Problem{Path: lp + ".window", Message: fmt.Sprintf("%q is not a window; use 1 to 9999 followed by s, m or h, for example 1h", truncate(l.Window))})
			}
		}
	}
	return &m, errs
}

func nonEmpty(path string, values []string) []diag.Problem {
	var errs []diag.Problem
	for i, v := range values {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, diag.Problem{Path: fmt.Sprintf("%s[%d]", path, i), Message: "must not be empty"})
		}
	}
	return errs
}

func hasTemplate(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "}}") }

func templateProblem(path, value string) diag.Problem {
	return diag.Problem{Path: path, Message: fmt.Sprintf("%q contains {{ or }}, which KServe would execute as a Go template; remove them", truncate(value))}
}

func checkName(path, value, what string, re *regexp.Regexp, maxLen int) []diag.Problem {
	kind := "DNS subdomain"
	if re == dnsLabel {
		kind = "DNS label"
	}
	switch {
	case value == "":
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("must not be empty; give a %s name", what)}}
	case !re.MatchString(value) && LooksLikeCredential(value):
		// Never repeat it: it may be a key pasted into the wrong field.
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("is not a valid %s name, and it looks like a credential (%d characters, not repeated here); put the key in the Secret and give the Secret's name here. Rotate the key if this file was shared", what, len(value)), Redact: true}}
	case len(value) > maxLen:
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("%q is %d characters; a %s name is a %s of at most %d", truncate(value), len(value), what, kind, maxLen)}}
	case !re.MatchString(value):
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("%q is not a valid %s name; use a %s: lower-case letters, digits and '-'%s, starting and ending with a letter or digit",
			truncate(value), what, kind, map[bool]string{true: " and '.'", false: ""}[re == dnsSubdomain])}}
	}
	return nil
}

// credentialPrefixes start the API keys of common providers (OpenAI sk-, Google AIza, Groq
// gsk_, NVIDIA nvapi-, AWS AKIA, Hugging Face hf_, GitHub ghp_, xAI xai-).
var credentialPrefixes = []string{"sk-", "sk_", "AIza", "gsk_", "nvapi-", "AKIA", "hf_", "ghp_", "xai-"}

// LooksLikeCredential reports whether s looks like an API key: a known provider prefix, or a
// long token that mixes upper case, lower case and digits.
func LooksLikeCredential(s string) bool {
	for _, prefix := range credentialPrefixes {
		if strings.HasPrefix(s, prefix) && len(s) >= len(prefix)+12 {
			return true
		}
	}
	var upper, lower, digit bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r == ' ' || r == '\t':
			return false
		}
	}
	return len(s) >= 24 && upper && lower && digit
}
