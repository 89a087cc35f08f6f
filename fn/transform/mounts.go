package transform

import (
	"path"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"
)

// mount is a volume the function mounts in main. A pod holds one volume per path, so a
// volume of the base's at the same path, or a volume of the base's with the same name and
// another source, would be lost or make the pod invalid.
type mount struct {
	volume, path string
	// source is the kind of volume the function adds under volume ("" when KServe adds it);
	// earlier is the kind an earlier release of the function added there, which it replaces.
	source, earlier string
	// what is what the function mounts there, for the messages.
	what string
	// yours says a volume of the base's may take the place instead, and is kept with a
	// warning: the function needs only a writable folder there. Elsewhere the server needs
	// what the function mounts, and a volume of the base's there is an error.
	yours bool
}

// mounts are the function's mounts in main for cfg.
func mounts(cfg *config.Config) []mount {
	m := []mount{
		{volume: startup.Volume, path: startup.Dir, source: "projected", earlier: "configMap",
			what: "its start-up program and settings, which main's command runs"},
		{volume: startup.DataVolume, path: startup.DataDir, source: "emptyDir",
			what: "the emptyDir where Llama Stack writes its state", yours: true},
	}
	if cfg.TLS {
		// KServe (v0.17+) mounts the certificate it issues for the service at this path itself,
		// and its merge keys mounts by path: a volume of the base's there would take the
		// certificate's place, and the server would serve another certificate, or none.
		m = append(m, mount{volume: kserve.TLSVolume, path: kserve.TLSMountPath,
			what: "KServe's serving certificate, which KServe mounts here too and the server reads with tls on"})
	}
	return append(append(append(m, secretMounts(cfg)...), identityMounts(cfg)...), networkMounts(cfg)...)
}

func credentialsVolume(pc config.ProviderConfig) string { return pc.Provider.Name + "-credentials" }

func credentialsDir(pc config.ProviderConfig) string { return CredentialsDir + "/" + pc.Provider.Name }

// checkVolumes finds the volumes of the base whose names the function's volumes would take.
func checkVolumes(template *yaml.Node, cfg *config.Config) []diag.Problem {
	var errs diag.List
	volumes := field(template, "volumes")
	for _, m := range mounts(cfg) {
		if kind := volumeSource(volumes, m.volume); !m.yours && m.source != "" && kind != "" && kind != m.source && kind != m.earlier {
			errs.Add(volumePath(m.volume), "is the base's %s volume, but the function adds its own %s volume under this name: %s. A volume has one source: rename yours (and its mounts)",
				kind, m.source, m.what)
		}
	}
	return errs
}

// checkMounts finds the volumes of the base that the function's mounts would replace.
func checkMounts(main *yaml.Node, cfg *config.Config) []diag.Problem {
	var errs diag.List
	for _, m := range mounts(cfg) {
		if m.yours {
			continue
		}
		for _, other := range mountsAt(main, m.path) {
			if name, _ := stringValue(other, "name"); name != m.volume {
				p, _ := stringValue(other, "mountPath")
				errs.Add(mountPath(p), "mounts the volume %s, but the function mounts the volume %s here: %s. A path holds one volume, so one of them would be lost: mount %s at another path",
					shown(name), m.volume, m.what, shown(name))
			}
		}
	}
	return errs
}

// mountsAt returns main's mounts at p, however the path is written ("/a/b/" is "/a/b").
func mountsAt(main *yaml.Node, p string) []*yaml.Node {
	var at []*yaml.Node
	if mounts := field(main, "volumeMounts"); !isNull(mounts) {
		for _, m := range mounts.Content {
			if v, ok := stringValue(m, "mountPath"); ok && path.Clean(v) == p {
				at = append(at, m)
			}
		}
	}
	return at
}

// volumeSource returns the source kind (configMap, emptyDir, ...) of volume name, or "".
func volumeSource(volumes *yaml.Node, name string) string {
	if isNull(volumes) || volumes.Kind != yaml.SequenceNode {
		return ""
	}
	i := itemByName(volumes, name)
	if i < 0 {
		return ""
	}
	v := volumes.Content[i]
	for j := 0; j+1 < len(v.Content); j += 2 {
		if key := v.Content[j].Value; key != "name" {
			return key
		}
	}
	return "sourceless"
}

// dataVolume gives Llama Stack its writable folder: the function's emptyDir, unless the base
// has a volume of its own there (a PersistentVolumeClaim that keeps the state, for example),
// which is kept. It reports whether the function's volume is to be mounted there.
func (a *applier) dataVolume(volumes, main *yaml.Node) bool {
	for _, m := range mountsAt(main, startup.DataDir) {
		if name, _ := stringValue(m, "name"); name != startup.DataVolume {
			a.warn(mountPath(startup.DataDir), "mounts the volume %s, where the function would mount its emptyDir %s: kept, so Llama Stack writes its state to the volume %s (the pod's user must be able to write there)",
				shown(name), startup.DataVolume, shown(name))
			return false
		}
	}
	switch kind := volumeSource(volumes, startup.DataVolume); kind {
	case "":
		a.changed(upsertVolume(volumes, startup.DataVolume, "emptyDir", &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Style: yaml.FlowStyle}), "volume %s (emptyDir)", startup.DataVolume)
	case "emptyDir": // the base's emptyDir options (sizeLimit, medium) are kept
	default:
		a.warn(volumePath(startup.DataVolume), "is the base's %s volume: kept, so Llama Stack writes its state to it instead of an emptyDir (with several replicas, give each its own)", kind)
	}
	return true
}

// upsertMount mounts volume at p in main, keyed by mount path; checkMounts has made sure that
// no other volume is mounted there.
func upsertMount(main *yaml.Node, volume, p string, readOnly bool) bool {
	mounts := listAt(main, "volumeMounts")
	i := slices.IndexFunc(mounts.Content, func(m *yaml.Node) bool { v, _ := stringValue(m, "mountPath"); return path.Clean(v) == p })
	if i < 0 {
		m := newMap("name", volume, "mountPath", p)
		if readOnly {
			setBool(m, "readOnly", true)
		}
		mounts.Content = append(mounts.Content, m)
		return true
	}
	// KServe's merge keys mounts by the exact path: "/a/b/" next to its "/a/b" would be two.
	did := setString(mounts.Content[i], "mountPath", p)
	did = setString(mounts.Content[i], "name", volume) || did
	if readOnly {
		did = setBool(mounts.Content[i], "readOnly", true) || did
	}
	return did
}

func mountPath(p string) string { return mainPath + ".volumeMounts[mountPath=" + p + "]" }

func volumePath(name string) string { return "spec.template.volumes[name=" + name + "]" }
