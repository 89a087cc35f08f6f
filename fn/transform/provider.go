package transform

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// CredentialsDir holds each provider's mounted credentials file, in a folder per provider.
const CredentialsDir = "/var/run/secrets/llamastack"

// provider adds one provider's credentials and settings to the main container.
func (a *applier) provider(template, main *yaml.Node, pc config.ProviderConfig) {
	env := listAt(main, "env")
	for _, s := range pc.Provider.Secrets {
		src := secretSource{credentialsVolume(pc), credentialsDir(pc), pc.SecretName, "apiKeySecret"}
		a.secret(template, main, s.Env, src, pc.SecretKeys[s.Env], s.Optional)
	}
	if pc.Provider.Credentials != nil {
		a.credentialsFile(template, main, pc)
	}
	for _, s := range pc.Provider.Settings {
		if value, ok := pc.Settings[s.Env]; ok {
			a.changed(a.envValue(env, s.Env, value, "settings"), "env %s=%s", s.Env, truncate(value))
		}
	}
}

// credentialsFile mounts the provider's Secret as a folder and points its variable at the
// file (for example Vertex AI's service account key).
func (a *applier) credentialsFile(template, main *yaml.Node, pc config.ProviderConfig) {
	c := pc.Provider.Credentials
	volume, dir := credentialsVolume(pc), credentialsDir(pc)
	did := a.secretVolume(template, main, volume, dir, pc.SecretName, "apiKeySecret")
	path := dir + "/" + pc.SecretKeys[c.Env]
	did = a.envValue(listAt(main, "env"), c.Env, path, "apiKeySecret") || did
	a.changed(did, "credentials file %s from Secret %s mounted at %s (%s)", truncate(pc.SecretKeys[c.Env]), truncate(pc.SecretName), dir, c.Env)
}

// secretEnv makes env var name read secret's key, keyed by name so that a second run, or an
// entry already in the base, never duplicates it. Fields are compared one by one, so an
// entry whose keys another tool reordered is left alone. A literal value there is dropped
// (and never repeated in any message: it may be a key).
func (a *applier) secretEnv(env *yaml.Node, name, secret, key string, optional bool) bool {
	i := itemByName(env, name)
	if i < 0 {
		ref := newMap("name", secret, "key", key)
		if optional {
			setBool(ref, "optional", true)
		}
		env.Content = append(env.Content, newMap("name", name, "valueFrom", newMap("secretKeyRef", ref)))
		return true
	}
	e, path := env.Content[i], envPath(name)
	did := false
	if removeField(e, "value") {
		a.warn(path, "had a literal value in the input: replaced by a reference to the Secret %s, key %s (valueFrom.secretKeyRef), so that the output holds no credential in plain text; create that Secret, and rotate the key if it was real: it was in a manifest",
			truncate(secret), truncate(key))
		did = true
	}
	valueFrom := mapOrNew(e, "valueFrom", &did)
	// A valueFrom has exactly one source.
	for _, other := range []string{"configMapKeyRef", "fieldRef", "resourceFieldRef", "fileKeyRef"} {
		did = removeField(valueFrom, other) || did
	}
	ref := mapOrNew(valueFrom, "secretKeyRef", &did)
	did = a.ownString(ref, "name", path+".valueFrom.secretKeyRef.name", "apiKeySecret", secret) || did
	did = a.ownString(ref, "key", path+".valueFrom.secretKeyRef.key", "apiKeySecret", key) || did
	if optional {
		did = setBool(ref, "optional", true) || did
	}
	return did
}

// envValue makes env var name the literal value, keyed by name; from names the setting the
// value comes from, for the warning when the input had another.
func (a *applier) envValue(env *yaml.Node, name, value, from string) bool {
	i := itemByName(env, name)
	if i < 0 {
		env.Content = append(env.Content, newMap("name", name, "value", value))
		return true
	}
	e := env.Content[i]
	did := removeField(e, "valueFrom")
	if did {
		a.warn(envPath(name), "was read with valueFrom in the input; replaced by the value %s from %s", shown(value), from)
	}
	return a.ownString(e, "value", envPath(name)+".value", from, value) || did
}

// otherCredentials reports the credentials of main that the configured providers do not
// read: another provider's (the start-up does not serve it, and a missing Secret stops the
// pod). A literal value in one is an error found by Check.
func (a *applier) otherCredentials(main *yaml.Node) {
	configured := map[string]bool{}
	var names []string
	for _, pc := range a.cfg.Providers {
		configured[pc.Provider.Name] = true
		names = append(names, pc.Provider.DisplayName)
	}
	env := field(main, "env")
	if isNull(env) {
		return
	}
	for _, e := range env.Content {
		name, _ := stringValue(e, "name")
		if other, known := providers.BySecretEnv(name); known && !configured[other.Name] {
			a.warn(envPath(name), "is %s's credential, but this service is configured for %s: the start-up does not enable %s, and the pod does not start while its Secret is missing; remove it from the base, or add %s to the providers to serve it",
				other.DisplayName, strings.Join(names, ", "), other.DisplayName, other.Name)
		}
	}
}

func envPath(name string) string { return mainPath + ".env[name=" + name + "]" }

// mapOrNew returns the map at key in m, replacing anything else there by an empty map (and
// setting *did when it does).
func mapOrNew(m *yaml.Node, key string, did *bool) *yaml.Node {
	v := field(m, key)
	if isNull(v) || v.Kind != yaml.MappingNode {
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		setField(m, key, v)
		*did = true
	}
	return v
}
