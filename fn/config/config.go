// Package config reads the function's functionConfig, either a LlamastackIntegration or a
// ConfigMap (kpt fn eval -- key=value), checks it strictly, applies the documented defaults
// and returns the settings the transforms work from.
package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// Problem is something wrong (or suspicious) in the functionConfig, at a field path.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Config is the functionConfig with every default applied and every value checked.
type Config struct {
	// Provider is the registry row of spec.provider.
	Provider providers.Provider
	// Model is spec.model, or the provider's default.
	Model string
	// SecretName and SecretKey locate the API key.
	SecretName, SecretKey string
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
}

// Source says what the functionConfig was, for messages: kind, apiVersion and name.
type Source struct {
	APIVersion, Kind, Name string
}

// configMapKeys are the keys a ConfigMap functionConfig accepts: the LlamastackIntegration
// spec's field paths, so that `-- apiKeySecret.name=my-secret` reads like the YAML form.
var configMapKeys = []string{
	"provider", "model", "apiKeySecret.name", "apiKeySecret.key", "gateway.name",
	"gateway.namespace", "tiers", "target.name", "target.namespace", "image", "modelURI",
	"skipModelDownload",
}

// Load reads the functionConfig. It returns the config, or the errors that stop the function;
// warnings are returned in both cases.
func Load(fc *yaml.RNode) (cfg *Config, src Source, errs, warnings []Problem) {
	if fc == nil || fc.YNode() == nil || isNull(fc.YNode()) || (fc.YNode().Kind == yaml.MappingNode && len(fc.YNode().Content) == 0) {
		return nil, src, []Problem{{Message: fmt.Sprintf("no functionConfig was given; pass a %s (apiVersion %s) with at least spec.provider (one of: %s)",
			v1alpha1.Kind, v1alpha1.APIVersion, strings.Join(providers.Names(), ", "))}}, nil
	}
	if fc.YNode().Kind != yaml.MappingNode {
		return nil, src, []Problem{{Message: fmt.Sprintf("the functionConfig must be a %s object, not %s", v1alpha1.Kind, describe(fc.YNode()))}}, nil
	}
	src = Source{APIVersion: fc.GetApiVersion(), Kind: fc.GetKind(), Name: fc.GetName()}

	var specNode *yaml.Node
	var prefix string
	switch {
	case src.Kind == v1alpha1.Kind:
		if src.APIVersion != v1alpha1.APIVersion {
			return nil, src, []Problem{{Path: "apiVersion", Message: fmt.Sprintf("%q is not a version of %s; use apiVersion: %s", src.APIVersion, v1alpha1.Kind, v1alpha1.APIVersion)}}, nil
		}
		if errs := checkShape(fc.YNode(), reflect.TypeOf(v1alpha1.LlamastackIntegration{}), ""); len(errs) > 0 {
			return nil, src, errs, nil
		}
		if n := fc.Field("spec"); n != nil {
			specNode = n.Value.YNode()
		}
		prefix = "spec"
	case src.Kind == "ConfigMap" && (src.APIVersion == "v1" || src.APIVersion == ""):
		var problems []Problem
		specNode, problems = specFromConfigMap(fc)
		if len(problems) > 0 {
			return nil, src, problems, nil
		}
		prefix = "data"
	default:
		return nil, src, []Problem{{Path: "kind", Message: fmt.Sprintf("a functionConfig of kind %q (apiVersion %q) is not supported; use kind: %s with apiVersion: %s, or a v1 ConfigMap of key=value settings",
			src.Kind, src.APIVersion, v1alpha1.Kind, v1alpha1.APIVersion)}}, nil
	}

	if specNode == nil || isNull(specNode) || len(specNode.Content) == 0 {
		return nil, src, []Problem{{Path: prefix, Message: fmt.Sprintf("is empty; set %s.provider to one of: %s", prefix, strings.Join(providers.Names(), ", "))}}, nil
	}
	var spec v1alpha1.Spec
	if err := yaml.NewRNode(specNode).YNode().Decode(&spec); err != nil {
		// checkShape has already accepted the shape, so this is unexpected; say so plainly.
		return nil, src, []Problem{{Path: prefix, Message: "cannot be read: " + err.Error()}}, nil
	}
	cfg, errs, warnings = resolve(spec, prefix)
	return cfg, src, errs, warnings
}

// specFromConfigMap turns a ConfigMap's data into the YAML of a LlamastackIntegration spec.
func specFromConfigMap(fc *yaml.RNode) (*yaml.Node, []Problem) {
	spec := yaml.NewMapRNode(nil)
	dataField := fc.Field("data")
	if dataField == nil || isNull(dataField.Value.YNode()) {
		return spec.YNode(), nil
	}
	data := dataField.Value.YNode()
	if data.Kind != yaml.MappingNode {
		return nil, []Problem{{Path: "data", Message: "must be a map of key=value settings, not " + describe(data)}}
	}
	var problems []Problem
	for i := 0; i+1 < len(data.Content); i += 2 {
		key, value := data.Content[i].Value, data.Content[i+1]
		path := "data." + key
		if !contains(configMapKeys, key) {
			msg := fmt.Sprintf("unknown setting %q", truncate(key))
			if guess := closest(key, configMapKeys); guess != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", guess)
			}
			problems = append(problems, Problem{Path: path, Message: msg + "; valid settings: " + strings.Join(configMapKeys, ", ")})
			continue
		}
		if value.Kind != yaml.ScalarNode {
			problems = append(problems, Problem{Path: path, Message: "must be a string, not " + describe(value)})
			continue
		}
		var node *yaml.Node
		switch key {
		case "tiers":
			tiers, err := parseTierList(value.Value)
			if err != nil {
				problems = append(problems, Problem{Path: path, Message: err.Error()})
				continue
			}
			node = yaml.NewListRNode(tiers...).YNode()
		case "skipModelDownload":
			b, err := strconv.ParseBool(strings.TrimSpace(value.Value))
			if err != nil {
				problems = append(problems, Problem{Path: path, Message: fmt.Sprintf("must be true or false, not %q", truncate(value.Value))})
				continue
			}
			node = &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(b)}
		default:
			node = yaml.NewStringRNode(value.Value).YNode()
		}
		fields := strings.Split(key, ".")
		parent, err := spec.Pipe(yaml.LookupCreate(yaml.MappingNode, fields[:len(fields)-1]...))
		if err != nil {
			problems = append(problems, Problem{Path: path, Message: err.Error()})
			continue
		}
		if err := parent.PipeE(yaml.SetField(fields[len(fields)-1], yaml.NewRNode(node))); err != nil {
			problems = append(problems, Problem{Path: path, Message: err.Error()})
		}
	}
	return spec.YNode(), problems
}

// parseTierList reads tiers from a ConfigMap value: a JSON array (["free","premium"]), a
// comma-separated list (free,premium), or empty / [] for every tier.
func parseTierList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		var tiers []string
		if err := json.Unmarshal([]byte(s), &tiers); err != nil {
			return nil, fmt.Errorf("must be a JSON array of tier names such as [\"free\",\"premium\"] or a comma-separated list, not %q", truncate(s))
		}
		return tiers, nil
	}
	tiers := []string{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tiers = append(tiers, t)
		}
	}
	return tiers, nil
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
func resolve(spec v1alpha1.Spec, prefix string) (*Config, []Problem, []Problem) {
	var errs, warnings []Problem
	p := func(field string) string {
		if prefix == "data" {
			return "data." + field
		}
		return prefix + "." + field
	}

	provider, ok := providers.Lookup(spec.Provider)
	switch {
	case spec.Provider == "":
		errs = append(errs, Problem{Path: p("provider"), Message: "is required; set it to one of: " + strings.Join(providers.Names(), ", ")})
	case !ok:
		msg := fmt.Sprintf("unknown provider %q", truncate(spec.Provider))
		if guess := closest(spec.Provider, providers.Names()); guess != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", guess)
		}
		errs = append(errs, Problem{Path: p("provider"), Message: msg + "; valid providers: " + strings.Join(providers.Names(), ", ")})
	}

	cfg := &Config{
		Provider:         provider,
		Model:            spec.Model,
		SecretKey:        v1alpha1.DefaultSecretKey,
		GatewayName:      v1alpha1.DefaultGatewayName,
		GatewayNamespace: v1alpha1.DefaultGatewayNamespace,
		Image:            spec.Image,
		ModelURI:         spec.ModelURI,
	}
	if cfg.Model == "" {
		cfg.Model = provider.DefaultModel
	}
	if ok {
		// Derived from the provider: only meaningful, and only checked, for a known one.
		cfg.SecretName = v1alpha1.DefaultSecretName(provider.Name)
	}
	if s := spec.APIKeySecret; s != nil {
		cfg.SecretName = or(s.Name, cfg.SecretName)
		cfg.SecretKey = or(s.Key, cfg.SecretKey)
	}
	if g := spec.Gateway; g != nil {
		cfg.GatewayName = or(g.Name, cfg.GatewayName)
		cfg.GatewayNamespace = or(g.Namespace, cfg.GatewayNamespace)
	}
	if spec.Tiers != nil {
		cfg.SetTiers = true
		cfg.Tiers = append([]string{}, (*spec.Tiers)...)
	}
	if t := spec.Target; t != nil {
		cfg.TargetName, cfg.TargetNamespace = t.Name, t.Namespace
	}
	if spec.SkipModelDownload != nil {
		cfg.SkipModelDownload = *spec.SkipModelDownload
	}

	// Every string below is written into the LLMInferenceService, whose merged spec KServe
	// renders as a Go template: a literal {{ would be executed (or fail) there.
	for _, f := range []struct{ path, value string }{
		{"model", spec.Model}, {"image", spec.Image}, {"modelURI", spec.ModelURI},
	} {
		if strings.Contains(f.value, "{{") || strings.Contains(f.value, "}}") {
			errs = append(errs, Problem{Path: p(f.path), Message: fmt.Sprintf("%q contains {{ or }}, which KServe would execute as a Go template; remove them", truncate(f.value))})
		}
	}
	switch {
	case spec.Model == "" || strings.Contains(spec.Model, "{{") || strings.Contains(spec.Model, "}}"):
		// Nothing to check, or already reported above.
	case strings.ContainsAny(spec.Model, " \t\n"):
		errs = append(errs, Problem{Path: p("model"), Message: fmt.Sprintf("%q contains white space; use the provider's model ID, for example %s", truncate(spec.Model), provider.DefaultModel)})
	case ok && !provider.KnowsModel(spec.Model):
		warnings = append(warnings, Problem{Path: p("model"), Message: fmt.Sprintf("model %q is not among the %s models this function knows (%s); it is used as given, check the spelling against the provider's model list",
			truncate(spec.Model), provider.DisplayName, strings.Join(provider.KnownModels, ", "))})
	}

	if cfg.SecretName != "" {
		errs = append(errs, checkName(p("apiKeySecret.name"), cfg.SecretName, "Secret", dnsSubdomain, 253)...)
	}
	if len(cfg.SecretKey) > 253 || !secretKey.MatchString(cfg.SecretKey) {
		errs = append(errs, Problem{Path: p("apiKeySecret.key"), Message: fmt.Sprintf("%q is not a valid Secret key; use letters, digits, '-', '_' and '.' only (at most 253), for example api-key", truncate(cfg.SecretKey))})
	}
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
			errs = append(errs, Problem{Path: path, Message: fmt.Sprintf("tier %q is listed twice; list each tier once", tier)})
		}
		seenTier[tier] = true
	}

	if spec.Image != "" {
		switch {
		case strings.ContainsAny(spec.Image, " \t\n"):
			errs = append(errs, Problem{Path: p("image"), Message: fmt.Sprintf("%q contains white space; give an image reference such as %s", truncate(spec.Image), v1alpha1.DefaultImage)})
		case UnpinnedImage(spec.Image):
			warnings = append(warnings, Problem{Path: p("image"), Message: fmt.Sprintf("image %q is not pinned (no tag, or :latest): every restart may run a different Llama Stack; pin a release tag or digest such as %s", truncate(spec.Image), v1alpha1.DefaultImage)})
		}
	}
	if spec.ModelURI != "" {
		if m := uriScheme.FindStringSubmatch(spec.ModelURI); m == nil || !contains(modelURISchemes, m[1]) {
			errs = append(errs, Problem{Path: p("modelURI"), Message: fmt.Sprintf("%q is not a model URI that KServe accepts; use one of the schemes %s:// (for example %s)",
				truncate(spec.ModelURI), strings.Join(modelURISchemes, "://, "), v1alpha1.DefaultModelURI)})
		}
	}
	if len(errs) > 0 {
		return nil, errs, warnings
	}
	return cfg, nil, warnings
}

func checkName(path, value, what string, re *regexp.Regexp, maxLen int) []Problem {
	kind := "DNS subdomain"
	if re == dnsLabel {
		kind = "DNS label"
	}
	switch {
	case value == "":
		return []Problem{{Path: path, Message: fmt.Sprintf("must not be empty; give a %s name", what)}}
	case len(value) > maxLen:
		return []Problem{{Path: path, Message: fmt.Sprintf("%q is %d characters; a %s name is a %s of at most %d", truncate(value), len(value), what, kind, maxLen)}}
	case !re.MatchString(value):
		return []Problem{{Path: path, Message: fmt.Sprintf("%q is not a valid %s name; use a %s: lower-case letters, digits and '-'%s, starting and ending with a letter or digit",
			truncate(value), what, kind, map[bool]string{true: " and '.'", false: ""}[re == dnsSubdomain])}}
	}
	return nil
}

// UnpinnedImage reports whether an image reference has no digest and no tag, or :latest.
func UnpinnedImage(image string) bool {
	if strings.Contains(image, "@") {
		return false
	}
	lastSlash := strings.LastIndex(image, "/")
	tagAt := strings.LastIndex(image, ":")
	if tagAt <= lastSlash {
		return true
	}
	return image[tagAt+1:] == "latest"
}

func or(value, fallback string) string {
	if value != "" {
		return value
	}
	return fallback
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
