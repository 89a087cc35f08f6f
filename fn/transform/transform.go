// Package transform turns one KServe LLMInferenceService into a Llama Stack deployment for
// a provider. It knows KServe's rules (see the package constants) and changes only the
// fields it documents; everything else, comments and field order included, stays as it was.
package transform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

const (
	// CredentialsDir holds each provider's mounted credentials file, in a folder per provider.
	CredentialsDir = "/var/run/secrets/llamastack"
)

// Outcome is what Apply did to one resource.
type Outcome struct {
	// Changes describe each field that changed, for the info result.
	Changes []string
	// Warnings are suspicious things the function accepted.
	Warnings []diag.Problem
}

// Check finds what would stop Apply on isvc, without changing it.
func Check(isvc *yaml.RNode, cfg *config.Config) []diag.Problem {
	if f := checkName(isvc.GetName()); f != nil {
		return []diag.Problem{*f}
	}
	var errs []diag.Problem
	root := isvc.YNode()
	spec := field(root, "spec")
	if spec != nil && !isNull(spec) && spec.Kind != yaml.MappingNode {
		return []diag.Problem{{Path: "spec", Message: "must be a map (the LLMInferenceService spec), not " + yamlnode.Describe(spec)}}
	}
	for _, path := range [][]string{{"model"}, {"router"}, {"router", "gateway"}, {"template"}, {"storageInitializer"}} {
		n := spec
		for _, key := range path {
			n = field(n, key)
		}
		if !isNull(n) && n.Kind != yaml.MappingNode {
			errs = append(errs, diag.Problem{Path: "spec." + strings.Join(path, "."), Message: "must be a map, not " + yamlnode.Describe(n)})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if refs := field(field(field(spec, "router"), "gateway"), "refs"); !isNull(refs) && refs.Kind != yaml.SequenceNode {
		errs = append(errs, diag.Problem{Path: "spec.router.gateway.refs", Message: "must be a list, not " + yamlnode.Describe(refs)})
	}

	if existing, ok := annotation(isvc, maas.TiersAnnotation); ok && !cfg.SetTiers {
		var tiers []string
		if err := json.Unmarshal([]byte(existing), &tiers); err != nil || tiers == nil {
			errs = append(errs, diag.Problem{Path: "metadata.annotations." + maas.TiersAnnotation, Message: fmt.Sprintf("is %q, which MaaS cannot read; it must be a JSON array of tier names such as [\"free\",\"premium\"] ([] for every tier), or set spec.tiers", existing)})
		}
	}
	containers := field(field(spec, "template"), "containers")
	if isNull(containers) {
		return errs
	}
	const containersPath = "spec.template.containers"
	if containers.Kind != yaml.SequenceNode {
		return append(errs, diag.Problem{Path: containersPath, Message: "must be a list of containers, not " + yamlnode.Describe(containers)})
	}
	var names []string
	mains := 0
	for i, c := range containers.Content {
		name, _ := stringValue(c, "name")
		if c.Kind != yaml.MappingNode || name == "" {
			errs = append(errs, diag.Problem{Path: fmt.Sprintf("%s[%d]", containersPath, i), Message: "must be a container with a name"})
			continue
		}
		names = append(names, name)
		if name == kserve.MainContainer {
			mains++
		}
	}
	if len(errs) > 0 {
		return errs
	}
	switch {
	case mains == 0:
		return append(errs, diag.Problem{Path: containersPath, Message: fmt.Sprintf("has no container named %q (found: %s); KServe runs only the container named main as the model server and adds any other next to its vLLM container: rename the Llama Stack container to main",
			kserve.MainContainer, strings.Join(names, ", "))})
	case mains > 1:
		return append(errs, diag.Problem{Path: containersPath, Message: fmt.Sprintf("has %d containers named main; keep exactly one", mains)})
	}
	main := containers.Content[itemByName(containers, kserve.MainContainer)]
	mainPath := containersPath + "[name=main]"
	for _, key := range []string{"env", "ports", "volumeMounts"} {
		if list := field(main, key); !isNull(list) && list.Kind != yaml.SequenceNode {
			errs = append(errs, diag.Problem{Path: mainPath + "." + key, Message: "must be a list, not " + yamlnode.Describe(list)})
		}
	}
	if env := field(main, "env"); !isNull(env) && env.Kind == yaml.SequenceNode {
		seen := map[string]bool{}
		for i, e := range env.Content {
			name, ok := stringValue(e, "name")
			if !ok || name == "" {
				errs = append(errs, diag.Problem{Path: fmt.Sprintf("%s.env[%d]", mainPath, i), Message: "must be an env var with a name"})
				continue
			}
			if seen[name] {
				errs = append(errs, diag.Problem{Path: fmt.Sprintf("%s.env[name=%s]", mainPath, name), Message: "is defined twice; Kubernetes keeps the last one silently: remove one"})
			}
			seen[name] = true
		}
	}
	for _, probe := range kserve.Probes {
		p := field(main, probe)
		if isNull(p) {
			continue
		}
		if p.Kind != yaml.MappingNode {
			errs = append(errs, diag.Problem{Path: mainPath + "." + probe, Message: "must be a map, not " + yamlnode.Describe(p)})
			continue
		}
		for _, h := range kserve.OtherProbeHandlers {
			if field(p, h) != nil {
				errs = append(errs, diag.Problem{Path: mainPath + "." + probe + "." + h, Message: fmt.Sprintf("KServe merges its preset's httpGet into every probe, and a probe with both httpGet and %s is rejected; remove %s (the function sets httpGet %s on port %d)",
					h, h, llamastack.HealthPath, kserve.Port)})
			}
		}
	}
	return errs
}

// serviceName is what Kubernetes accepts as an object's name (a DNS subdomain).
var serviceName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// checkName checks the service's final name (after kustomize's namePrefix and nameSuffix):
// the function writes it as the value of the label app.kubernetes.io/instance, at most 63
// characters, and into the names of the objects it generates.
func checkName(name string) *diag.Problem {
	switch {
	case name == "":
		return &diag.Problem{Path: "metadata.name", Message: "is missing; every LLMInferenceService needs a name"}
	case !serviceName.MatchString(name):
		return &diag.Problem{Path: "metadata.name", Message: fmt.Sprintf("%q is not a valid name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", yamlnode.Truncate(name))}
	case len(name) > 63:
		return &diag.Problem{Path: "metadata.name", Message: fmt.Sprintf("is %d characters (with kustomize's namePrefix and nameSuffix), but the function writes it as the value of the label %s, at most 63: shorten the name or the prefix", len(name), v1alpha1.InstanceLabel)}
	}
	return nil
}

// Apply changes isvc for cfg. Call it only when Check found nothing.
func Apply(isvc *yaml.RNode, cfg *config.Config) (Outcome, error) {
	var out Outcome
	changed := func(did bool, format string, args ...any) {
		if did {
			out.Changes = append(out.Changes, fmt.Sprintf(format, args...))
		}
	}
	root := isvc.YNode()

	if err := applyMetadata(isvc, cfg, changed, &out); err != nil {
		return out, err
	}

	spec, err := mapAt(root, "spec", "spec")
	if err != nil {
		return out, err
	}

	// The model: KServe requires spec.model.uri with a scheme even for a remote provider.
	model, err := mapAt(spec, "model", "spec.model")
	if err != nil {
		return out, err
	}
	changed(setString(model, "name", cfg.Model()), "spec.model.name=%s", cfg.Model())
	if uri, placeholder := ModelURI(isvc, cfg); placeholder {
		changed(setString(model, "uri", uri), "spec.model.uri=%s (placeholder: a remote provider needs no weights)", uri)
	} else {
		changed(setString(model, "uri", uri), "spec.model.uri=%s", uri)
	}
	applyStorageInitializer(spec, cfg, changed, &out)

	// The gateway: exactly the configured one, with its namespace always written out, where
	// the release accepts gateway refs with the managed route.
	router, err := mapAt(spec, "router", "spec.router")
	if err != nil {
		return out, err
	}
	if cfg.KServe.GatewayRefsWithRoute {
		gateway, err := mapAt(router, "gateway", "spec.router.gateway")
		if err != nil {
			return out, err
		}
		changed(setGatewayRefs(gateway, cfg, &out), "spec.router.gateway.refs=[%s/%s]", cfg.GatewayNamespace, cfg.GatewayName)
	} else {
		changed(removeGatewayRefs(router, cfg, &out), "removed spec.router.gateway.refs (KServe %s routes to its ingress gateway)", cfg.KServe.Version)
	}
	if isNull(field(router, "route")) {
		setField(router, "route", &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Style: yaml.FlowStyle})
		changed(true, "spec.router.route={} (KServe creates the HTTPRoute)")
	}

	// The serving container.
	template, err := mapAt(spec, "template", "spec.template")
	if err != nil {
		return out, err
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
		changed(true, "added container main")
	}
	applyMain(isvc, template, containers.Content[i], cfg, changed, &out)
	for _, pc := range cfg.Providers {
		providerChanged := changed
		if len(cfg.Providers) > 1 {
			// Say which env came from which provider.
			providerChanged = func(did bool, format string, args ...any) {
				changed(did, pc.Provider.Name+": "+format, args...)
			}
		}
		applyProvider(template, containers.Content[i], pc, providerChanged, &out)
	}
	warnForeignCredentials(containers.Content[i], cfg, &out)
	if isvc.GetNamespace() == "" {
		out.Warnings = append(out.Warnings, diag.Problem{Path: "metadata.namespace", Message: fmt.Sprintf("is not set, so the model does not answer to publishers/<namespace>/models/%s, the name current MaaS lists; set the namespace (kustomize's namespace field, or kpt fn eval set-namespace)", cfg.Model())})
	}
	return out, nil
}

// applyMetadata sets the labels and the legacy tiers annotation.
func applyMetadata(isvc *yaml.RNode, cfg *config.Config, changed func(bool, string, ...any), out *Outcome) error {
	name := isvc.GetName()
	meta, err := mapAt(isvc.YNode(), "metadata", "metadata")
	if err != nil {
		return err
	}
	labels, err := mapAt(meta, "labels", "metadata.labels")
	if err != nil {
		return err
	}
	first := cfg.Providers[0].Provider.Name
	changed(setString(labels, v1alpha1.ProviderLabel, first), "label %s=%s", v1alpha1.ProviderLabel, first)
	changed(setString(labels, v1alpha1.InstanceLabel, name), "label %s=%s", v1alpha1.InstanceLabel, name)
	if len(labels.Content) == 0 {
		removeField(meta, "labels")
	}
	if !cfg.SetTiers {
		return nil
	}
	annotations, err := mapAt(meta, "annotations", "metadata.annotations")
	if err != nil {
		return err
	}
	if existing, ok := stringValue(annotations, maas.TiersAnnotation); !ok || !sameTiers(existing, cfg.Tiers) {
		// spec.tiers owns the annotation: replace a different value (a re-render after
		// spec.tiers changed, in kpt's in-place packages), and say so.
		if ok {
			out.Warnings = append(out.Warnings, diag.Problem{Path: "metadata.annotations." + maas.TiersAnnotation, Message: fmt.Sprintf("was %s in the input; replaced by %s from spec.tiers", existing, tiersJSON(cfg.Tiers))})
		}
		setString(annotations, maas.TiersAnnotation, tiersJSON(cfg.Tiers))
		changed(true, "annotation %s=%s", maas.TiersAnnotation, tiersJSON(cfg.Tiers))
	}
	return nil
}

// applyMain makes the main container a Llama Stack server for cfg.
func applyMain(isvc *yaml.RNode, template, main *yaml.Node, cfg *config.Config, changed func(bool, string, ...any), out *Outcome) {
	const path = "spec.template.containers[name=main]"
	switch image, has := stringValue(main, "image"); {
	case cfg.Image != "":
		changed(setString(main, "image", cfg.Image), "image=%s", cfg.Image)
	case !has || image == "":
		changed(setString(main, "image", llamastack.DefaultImage), "image=%s", llamastack.DefaultImage)
	case llamastack.Unpinned(image):
		out.Warnings = append(out.Warnings, diag.Problem{Path: path + ".image", Message: llamastack.UnpinnedWarning(image)})
	}
	if image, _ := stringValue(main, "image"); cfg.LineFromImage {
		if _, known := llamastack.ImageOf(image); !known {
			out.Warnings = append(out.Warnings, diag.Problem{Path: path + ".image", Message: fmt.Sprintf("%s is not an image repository the function knows (%s); it is started as a %s image: set spec.imageLine if it is another line",
				llamastack.Repository(image), strings.Join(llamastack.Repositories(), ", "), cfg.Line.Name)})
		}
	}

	// Without a command, KServe's preset runs its vLLM command in our image. The function
	// keeps its own start-up current and leaves a command the user wrote alone.
	if isNull(field(main, "command")) || ownStartup(main) {
		did := setStringList(main, "command", startup.Command)
		if current, _ := startupArgs(main); current != startup.Script {
			setField(main, "args", literalList(startup.Script))
			did = true
		}
		changed(did, "command and args run the start-up of ConfigMap %s", startup.ConfigMapName(isvc, cfg))
	} else if isNull(field(main, "args")) {
		out.Warnings = append(out.Warnings, diag.Problem{Path: path + ".args", Message: "main has a command but no args: KServe v0.16's preset then appends its vLLM args to your command; set args (args: [] if none)"})
	}

	ports := listAt(main, "ports")
	if !slices.ContainsFunc(ports.Content, func(p *yaml.Node) bool {
		v, _ := stringValue(p, "containerPort")
		return v == fmt.Sprint(kserve.Port)
	}) {
		ports.Content = append(ports.Content, newMap("containerPort", kserve.Port, "protocol", "TCP"))
		changed(true, "containerPort %d", kserve.Port)
	}

	env := listAt(main, "env")
	changed(upsertEnvValue(env, cfg.Line.PortEnv, fmt.Sprint(kserve.Port)), "env %s=%d", cfg.Line.PortEnv, kserve.Port)

	for _, probe := range kserve.Probes {
		p := field(main, probe)
		if isNull(p) {
			p = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			setField(main, probe, p)
		}
		get := field(p, "httpGet")
		if isNull(get) || get.Kind != yaml.MappingNode {
			get = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			setField(p, "httpGet", get)
		}
		did := setString(get, "path", llamastack.HealthPath)
		did = setInt(get, "port", kserve.Port) || did
		did = setString(get, "scheme", scheme(cfg.TLS)) || did
		changed(did, "%s httpGet %s :%d%s", probe, strings.ToLower(scheme(cfg.TLS)), kserve.Port, llamastack.HealthPath)
	}

	applyVolumes(isvc, template, main, cfg, changed)
	applyUser(template, cfg, changed)
}

// applyVolumes mounts the start-up ConfigMap, the data volume and, with TLS, the certificate.
func applyVolumes(isvc *yaml.RNode, template, main *yaml.Node, cfg *config.Config, changed func(bool, string, ...any)) {
	volumes := listAt(template, "volumes")
	name := startup.ConfigMapName(isvc, cfg)
	changed(upsertVolume(volumes, startup.Volume, "configMap", newMap("name", name)), "volume %s from ConfigMap %s", startup.Volume, name)
	changed(upsertVolume(volumes, startup.DataVolume, "emptyDir", &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Style: yaml.FlowStyle}), "volume %s (emptyDir)", startup.DataVolume)
	changed(upsertMount(main, startup.Volume, startup.Dir, true), "mount %s at %s", startup.Volume, startup.Dir)
	changed(upsertMount(main, startup.DataVolume, startup.DataDir, false), "mount %s at %s", startup.DataVolume, startup.DataDir)
	if cfg.TLS {
		changed(upsertMount(main, kserve.TLSVolume, kserve.TLSMountPath, true), "TLS certificate mount at %s", kserve.TLSMountPath)
	}
}

// applyUser sets the pod's UID, GID and fsGroup when spec.runAsUser asks for them.
func applyUser(template *yaml.Node, cfg *config.Config, changed func(bool, string, ...any)) {
	if cfg.RunAsUser == nil {
		return
	}
	sc := field(template, "securityContext")
	if isNull(sc) || sc.Kind != yaml.MappingNode {
		sc = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		setField(template, "securityContext", sc)
	}
	id := int(*cfg.RunAsUser)
	did := setInt(sc, "runAsUser", id)
	did = setInt(sc, "runAsGroup", id) || did
	did = setInt(sc, "fsGroup", id) || did
	changed(did, "pod runAsUser, runAsGroup and fsGroup %d", id)
}

// upsertVolume makes volume name of the given source kind, keyed by name.
func upsertVolume(volumes *yaml.Node, name, kind string, source *yaml.Node) bool {
	if i := itemByName(volumes, name); i >= 0 {
		v := volumes.Content[i]
		if current := field(v, kind); current != nil && equalNodes(current, source) && len(v.Content) == 4 {
			return false
		}
		volumes.Content[i] = newMap("name", name, kind, source)
		return true
	}
	volumes.Content = append(volumes.Content, newMap("name", name, kind, source))
	return true
}

// upsertMount mounts volume at path in main, keyed by mount path.
func upsertMount(main *yaml.Node, volume, path string, readOnly bool) bool {
	mounts := listAt(main, "volumeMounts")
	i := slices.IndexFunc(mounts.Content, func(m *yaml.Node) bool { v, _ := stringValue(m, "mountPath"); return v == path })
	if i < 0 {
		m := newMap("name", volume, "mountPath", path)
		if readOnly {
			setBool(m, "readOnly", true)
		}
		mounts.Content = append(mounts.Content, m)
		return true
	}
	did := setString(mounts.Content[i], "name", volume)
	if readOnly {
		did = setBool(mounts.Content[i], "readOnly", true) || did
	}
	return did
}

func equalNodes(a, b *yaml.Node) bool {
	return yaml.NewRNode(a).MustString() == yaml.NewRNode(b).MustString()
}

// BaseImage is the image of isvc's main container, or "".
func BaseImage(isvc *yaml.RNode) string {
	containers := field(field(field(isvc.YNode(), "spec"), "template"), "containers")
	if isNull(containers) || containers.Kind != yaml.SequenceNode {
		return ""
	}
	i := itemByName(containers, kserve.MainContainer)
	if i < 0 {
		return ""
	}
	image, _ := stringValue(containers.Content[i], "image")
	return image
}

// ownStartup reports whether main runs a start-up script the function wrote.
func ownStartup(main *yaml.Node) bool {
	script, ok := startupArgs(main)
	return ok && strings.HasPrefix(script, startup.Marker)
}

// startupArgs returns main's script when its args are exactly one string.
func startupArgs(main *yaml.Node) (string, bool) {
	args := field(main, "args")
	if isNull(args) || args.Kind != yaml.SequenceNode || len(args.Content) != 1 || args.Content[0].Kind != yaml.ScalarNode {
		return "", false
	}
	return args.Content[0].Value, true
}

func scheme(tls bool) string {
	if tls {
		return "HTTPS"
	}
	return "HTTP"
}

// ModelURI is the spec.model.uri the function writes for isvc (see Config.ModelURIFor).
func ModelURI(isvc *yaml.RNode, cfg *config.Config) (uri string, placeholder bool) {
	current, _ := stringValue(field(field(isvc.YNode(), "spec"), "model"), "uri")
	return cfg.ModelURIFor(isvc.GetName(), current)
}

// applyStorageInitializer switches KServe's model download off, or removes the switch where
// the release does not have it.
func applyStorageInitializer(spec *yaml.Node, cfg *config.Config, changed func(bool, string, ...any), out *Outcome) {
	si := field(spec, "storageInitializer")
	switch {
	case cfg.SkipModelDownload:
		if isNull(si) {
			si = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			setField(spec, "storageInitializer", si)
		}
		changed(setBool(si, "enabled", false), "spec.storageInitializer.enabled=false (no model download)")
	case !cfg.KServe.StorageInitializerField && si != nil:
		removeField(spec, "storageInitializer")
		out.Warnings = append(out.Warnings, diag.Problem{Path: "spec.storageInitializer", Message: fmt.Sprintf("was removed: KServe %s has no such field, and its API server rejects it", cfg.KServe.Version)})
		changed(true, "removed spec.storageInitializer")
	}
}

// removeGatewayRefs drops spec.router.gateway.refs, which KServe v0.16's webhook rejects
// together with the managed route, and says where the route goes instead.
func removeGatewayRefs(router *yaml.Node, cfg *config.Config, out *Outcome) bool {
	gateway := field(router, "gateway")
	refs := field(gateway, "refs")
	if refs == nil {
		return false
	}
	if !isNull(refs) && len(refs.Content) > 0 {
		out.Warnings = append(out.Warnings, diag.Problem{Path: "spec.router.gateway.refs", Message: fmt.Sprintf("was removed: KServe %s rejects gateway refs together with the managed route; the route goes to the cluster's ingress gateway, so set ingress.kserveIngressGateway in inferenceservice-config to %s/%s",
			cfg.KServe.Version, cfg.GatewayNamespace, cfg.GatewayName)})
	}
	removeField(gateway, "refs")
	if len(gateway.Content) == 0 {
		removeField(router, "gateway")
	}
	return true
}

// applyProvider adds one provider's credentials and settings to the main container.
func applyProvider(template, main *yaml.Node, pc config.ProviderConfig, changed func(bool, string, ...any), out *Outcome) {
	env := listAt(main, "env")
	for _, s := range pc.Provider.Secrets {
		key := pc.SecretKeys[s.Env]
		changed(upsertSecretEnv(env, s.Env, pc.SecretName, key, s.Optional, out), "env %s from Secret %s key %s%s", s.Env, pc.SecretName, key, map[bool]string{true: " (optional)"}[s.Optional])
	}
	if c := pc.Provider.Credentials; c != nil {
		volume := pc.Provider.Name + "-credentials"
		dir := CredentialsDir + "/" + pc.Provider.Name
		volumes := listAt(template, "volumes")
		did := false
		if i := itemByName(volumes, volume); i < 0 {
			volumes.Content = append(volumes.Content, newMap("name", volume, "secret", newMap("secretName", pc.SecretName)))
			did = true
		} else {
			secret, err := mapAt(volumes.Content[i], "secret", "volumes")
			if err == nil {
				did = setString(secret, "secretName", pc.SecretName)
			}
		}
		mounts := listAt(main, "volumeMounts")
		if !slices.ContainsFunc(mounts.Content, func(m *yaml.Node) bool { v, _ := stringValue(m, "mountPath"); return v == dir }) {
			mounts.Content = append(mounts.Content, newMap("name", volume, "mountPath", dir, "readOnly", true))
			did = true
		}
		path := dir + "/" + pc.SecretKeys[c.Env]
		did = upsertEnvValue(env, c.Env, path) || did
		changed(did, "credentials file %s from Secret %s mounted at %s (%s)", pc.SecretKeys[c.Env], pc.SecretName, dir, c.Env)
	}
	for _, s := range pc.Provider.Settings {
		if value, ok := pc.Settings[s.Env]; ok {
			changed(upsertEnvValue(env, s.Env, value), "env %s=%s", s.Env, value)
		}
	}
}

// warnForeignCredentials flags credentials of providers that are not configured: the
// start-up does not serve those providers, and a missing Secret stops the pod.
func warnForeignCredentials(main *yaml.Node, cfg *config.Config, out *Outcome) {
	configured := map[string]bool{}
	var names []string
	for _, pc := range cfg.Providers {
		configured[pc.Provider.Name] = true
		names = append(names, pc.Provider.DisplayName)
	}
	env := field(main, "env")
	if isNull(env) {
		return
	}
	for _, e := range env.Content {
		name, _ := stringValue(e, "name")
		if other, ok := providers.BySecretEnv(name); ok && !configured[other.Name] {
			out.Warnings = append(out.Warnings, diag.Problem{Path: "spec.template.containers[name=main].env[name=" + name + "]", Message: fmt.Sprintf("is %s's credential, but this service is configured for %s: the start-up does not enable %s, and the pod does not start while its Secret is missing; remove it from the base, or add %s to the providers to serve it",
				other.DisplayName, strings.Join(names, ", "), other.DisplayName, other.Name)})
		}
	}
}

// setGatewayRefs makes refs exactly [{name, namespace}] of cfg, warning about dropped refs.
func setGatewayRefs(gateway *yaml.Node, cfg *config.Config, out *Outcome) bool {
	refs := field(gateway, "refs")
	if !isNull(refs) && len(refs.Content) == 1 {
		n, _ := stringValue(refs.Content[0], "name")
		ns, _ := stringValue(refs.Content[0], "namespace")
		if n == cfg.GatewayName && ns == cfg.GatewayNamespace {
			return false
		}
	}
	if !isNull(refs) {
		for _, r := range refs.Content {
			n, _ := stringValue(r, "name")
			ns, _ := stringValue(r, "namespace")
			if n != cfg.GatewayName || ns != cfg.GatewayNamespace {
				out.Warnings = append(out.Warnings, diag.Problem{Path: "spec.router.gateway.refs", Message: fmt.Sprintf("replaced gateway ref %s/%s with %s/%s from spec.gateway", ns, n, cfg.GatewayNamespace, cfg.GatewayName)})
			}
		}
	}
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
	list.Content = append(list.Content, newMap("name", cfg.GatewayName, "namespace", cfg.GatewayNamespace))
	setField(gateway, "refs", list)
	return true
}

// upsertSecretEnv makes env var name read secret's key, keyed by name so that a second run,
// or an entry already in the base, never duplicates it. Fields are compared one by one, so
// an entry whose keys another tool reordered is left alone. A literal value there is
// dropped (and never repeated in any message: it may be a key).
func upsertSecretEnv(env *yaml.Node, name, secret, key string, optional bool, out *Outcome) bool {
	i := itemByName(env, name)
	if i < 0 {
		ref := newMap("name", secret, "key", key)
		if optional {
			setBool(ref, "optional", true)
		}
		env.Content = append(env.Content, newMap("name", name, "valueFrom", newMap("secretKeyRef", ref)))
		return true
	}
	e := env.Content[i]
	did := false
	if removeField(e, "value") {
		out.Warnings = append(out.Warnings, diag.Problem{Path: "spec.template.containers[name=main].env[name=" + name + "]", Message: "had a literal value in the input; it was replaced by the Secret reference (never put an API key in a manifest, and rotate it if it was real)"})
		did = true
	}
	valueFrom := field(e, "valueFrom")
	if isNull(valueFrom) || valueFrom.Kind != yaml.MappingNode {
		valueFrom = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		setField(e, "valueFrom", valueFrom)
		did = true
	}
	// A valueFrom has exactly one source.
	for _, other := range []string{"configMapKeyRef", "fieldRef", "resourceFieldRef", "fileKeyRef"} {
		did = removeField(valueFrom, other) || did
	}
	ref := field(valueFrom, "secretKeyRef")
	if isNull(ref) || ref.Kind != yaml.MappingNode {
		ref = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		setField(valueFrom, "secretKeyRef", ref)
		did = true
	}
	did = setString(ref, "name", secret) || did
	did = setString(ref, "key", key) || did
	if optional {
		did = setBool(ref, "optional", true) || did
	}
	return did
}

// upsertEnvValue makes env var name a literal value, keyed by name.
func upsertEnvValue(env *yaml.Node, name, value string) bool {
	i := itemByName(env, name)
	if i < 0 {
		env.Content = append(env.Content, newMap("name", name, "value", value))
		return true
	}
	e := env.Content[i]
	did := removeField(e, "valueFrom")
	return setString(e, "value", value) || did
}

// listAt returns the list at key in m, creating it when absent.
func listAt(m *yaml.Node, key string) *yaml.Node {
	l := field(m, key)
	if isNull(l) {
		l = &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		setField(m, key, l)
	}
	l.Style &^= yaml.FlowStyle
	return l
}

// literalList is a one-item list holding s as a literal block scalar, readable in the output.
func literalList(s string) *yaml.Node {
	item := yaml.NewStringRNode(s).YNode()
	item.Style = yaml.LiteralStyle
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{item}}
}

func annotation(isvc *yaml.RNode, key string) (string, bool) {
	v, ok := isvc.GetAnnotations()[key]
	return v, ok
}

// tiersJSON is the annotation value for tiers: a JSON array of strings.
func tiersJSON(tiers []string) string {
	if tiers == nil {
		tiers = []string{}
	}
	b, _ := json.Marshal(tiers)
	return string(b)
}

// sameTiers reports whether an annotation value already lists exactly tiers (spacing aside).
func sameTiers(annotationValue string, tiers []string) bool {
	var existing []string
	if err := json.Unmarshal([]byte(annotationValue), &existing); err != nil {
		return false
	}
	return slices.Equal(existing, tiers) || (len(existing) == 0 && len(tiers) == 0)
}
