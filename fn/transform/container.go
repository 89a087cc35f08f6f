package transform

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"
)

// mainContainer makes main a Llama Stack server for cfg.
func (a *applier) mainContainer(template, main *yaml.Node) {
	a.image(main)
	a.startCommand(main)
	a.port(main)
	a.probes(main)
	a.volumes(template, main)
	a.state(template, main)
	a.network(template, main)
	a.user(template)
}

// image sets spec.image, or the default where the base has none, and says what is odd
// about the image that runs.
func (a *applier) image(main *yaml.Node) {
	base, _ := stringValue(main, "image")
	image := a.cfg.ImageFor(base)
	switch {
	case image != base:
		a.changed(a.ownString(main, "image", mainPath+".image", "spec.image", image), "image=%s", truncate(image))
	case a.cfg.Image == "" && llamastack.Unpinned(image):
		// spec.image's own pinning is reported with the functionConfig.
		a.warn(mainPath+".image", "%s", llamastack.UnpinnedWarning(truncate(image)))
	}
	if _, known := llamastack.ImageOf(image); a.cfg.LineFromImage && !known {
		a.warn(mainPath+".image", "%s is not an image repository the function knows (%s); it is started as a %s image: set spec.imageLine if it is another line",
			truncate(llamastack.Repository(image)), strings.Join(llamastack.Repositories(), ", "), a.cfg.Line.Name)
	}
}

// startCommand runs the start-up. Without a command, KServe's preset runs its vLLM command
// in our image. The function keeps its own start-up current and leaves a command the user
// wrote alone.
func (a *applier) startCommand(main *yaml.Node) {
	if !isNull(field(main, "command")) && !ownStartup(main) {
		if isNull(field(main, "args")) {
			a.warn(mainPath+".args", "main has a command but no args: KServe v0.16's preset then appends its vLLM args to your command; set args (args: [] if none)")
		}
		return
	}
	did := setStringList(main, "command", startup.Command)
	if current, _ := startupArgs(main); current != startup.Script {
		setField(main, "args", literalList(startup.Script))
		did = true
	}
	a.changed(did, "command and args run the start-up of ConfigMap %s", startup.ConfigMapName(a.isvc, a.cfg))
}

// port opens KServe's port and tells the server to listen there.
func (a *applier) port(main *yaml.Node) {
	ports := listAt(main, "ports")
	if !slices.ContainsFunc(ports.Content, func(p *yaml.Node) bool {
		v, _ := stringValue(p, "containerPort")
		return v == fmt.Sprint(kserve.Port)
	}) {
		ports.Content = append(ports.Content, newMap("containerPort", kserve.Port, "protocol", "TCP"))
		a.changed(true, "containerPort %d", kserve.Port)
	}
	env := listAt(main, "env")
	a.changed(a.envValue(env, a.cfg.Line.PortEnv, fmt.Sprint(kserve.Port), "KServe's model server port"), "env %s=%d", a.cfg.Line.PortEnv, kserve.Port)
}

// probes makes each of KServe's probes an httpGet on the server's health endpoint; the
// timings stay the user's.
func (a *applier) probes(main *yaml.Node) {
	scheme := "HTTP"
	if a.cfg.TLS {
		scheme = "HTTPS"
	}
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
		path := mainPath + "." + probe + ".httpGet."
		did := a.ownString(get, "path", path+"path", "Llama Stack's health endpoint", llamastack.HealthPath)
		did = a.ownInt(get, "port", path+"port", "KServe's model server port", kserve.Port) || did
		did = a.ownString(get, "scheme", path+"scheme", "spec.tls", scheme) || did
		a.changed(did, "%s httpGet %s :%d%s", probe, strings.ToLower(scheme), kserve.Port, llamastack.HealthPath)
	}
}

// volumes mounts the program and start-up ConfigMaps, the data volume and, with TLS, the
// certificate.
func (a *applier) volumes(template, main *yaml.Node) {
	volumes := listAt(template, "volumes")
	program, settings := startup.ProgramConfigMapName(a.isvc, a.cfg), startup.ConfigMapName(a.isvc, a.cfg)
	sources := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
	for _, name := range []string{program, settings} {
		sources.Content = append(sources.Content, newMap("configMap", newMap("name", name)))
	}
	a.changed(upsertVolume(volumes, startup.Volume, "projected", newMap("sources", sources)), "volume %s from ConfigMaps %s and %s", startup.Volume, program, settings)
	ours := a.dataVolume(volumes, main)
	a.changed(upsertMount(main, startup.Volume, startup.Dir, true), "mount %s at %s", startup.Volume, startup.Dir)
	if ours {
		a.changed(upsertMount(main, startup.DataVolume, startup.DataDir, false), "mount %s at %s", startup.DataVolume, startup.DataDir)
	}
	if a.cfg.TLS {
		a.changed(upsertMount(main, kserve.TLSVolume, kserve.TLSMountPath, true), "TLS certificate mount at %s", kserve.TLSMountPath)
	}
}

// user sets the pod's UID, GID and fsGroup when spec.runAsUser asks for them.
func (a *applier) user(template *yaml.Node) {
	if a.cfg.RunAsUser == nil {
		return
	}
	sc := field(template, "securityContext")
	if isNull(sc) || sc.Kind != yaml.MappingNode {
		sc = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		setField(template, "securityContext", sc)
	}
	id := int(*a.cfg.RunAsUser)
	did := false
	for _, key := range []string{"runAsUser", "runAsGroup", "fsGroup"} {
		did = a.ownInt(sc, key, "spec.template.securityContext."+key, "spec.runAsUser", id) || did
	}
	a.changed(did, "pod runAsUser, runAsGroup and fsGroup %d", id)
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

// literalList is a one-item list holding s as a literal block scalar, readable in the output.
func literalList(s string) *yaml.Node {
	item := yaml.NewStringRNode(s).YNode()
	item.Style = yaml.LiteralStyle
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{item}}
}

// StartupConfigMaps are the ConfigMaps that isvc's start-up volume holds, as the function
// writes it (a projected volume), or none.
func StartupConfigMaps(isvc *yaml.RNode) []string {
	volumes := field(field(field(isvc.YNode(), "spec"), "template"), "volumes")
	if isNull(volumes) || volumes.Kind != yaml.SequenceNode {
		return nil
	}
	i := itemByName(volumes, startup.Volume)
	if i < 0 {
		return nil
	}
	sources := field(field(volumes.Content[i], "projected"), "sources")
	if isNull(sources) || sources.Kind != yaml.SequenceNode {
		return nil
	}
	var names []string
	for _, s := range sources.Content {
		if name, ok := stringValue(field(s, "configMap"), "name"); ok {
			names = append(names, name)
		}
	}
	return names
}
