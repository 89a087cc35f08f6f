package transform

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/startup"
)

// CABundleFile is the bundle the start-up writes (network.py): the image's public roots and
// every pod-wide CA in one file. SSL_CERT_FILE takes one file, and replaces the default roots
// rather than adding to them, so the CAs alone would break every public provider.
const CABundleFile = startup.DataDir + "/" + config.CABundleName

// caFiles are the CA bundles the pod mounts: spec.network's, spec.trustedCA's and each
// provider's own.
func caFiles(cfg *config.Config, service string) []config.CAFile {
	n := cfg.Network
	if n == nil {
		return nil
	}
	files := append([]config.CAFile{}, n.CAs...)
	if n.HasTrustedCA {
		files = append(files, n.TrustedCAFile(service))
	}
	for _, pc := range cfg.Providers {
		if ca := n.Providers[pc.Provider.Name].CA; ca != nil {
			files = append(files, *ca)
		}
	}
	return files
}

// networkMounts are the CA bundles' rows of the mount-conflict table.
func networkMounts(cfg *config.Config) []mount {
	var m []mount
	for _, ca := range caFiles(cfg, "<service>") {
		m = append(m, mount{volume: ca.Volume, path: ca.Dir(), source: ca.Source,
			what: "the CA bundle of " + ca.From + " (" + ca.Source + " " + truncate(ca.Name) + ")"})
	}
	return m
}

// network gives main the pod-wide network settings: HTTPS_PROXY and NO_PROXY, which the
// servers' HTTP client (httpx, under the OpenAI client, trust_env) reads on every line; the
// CA bundles' volumes; and SSL_CERT_FILE (httpx, and OpenSSL's default paths, which
// ssl.create_default_context loads) and REQUESTS_CA_BUNDLE (requests, used by the Google and
// Hugging Face libraries) naming the joined bundle. A provider's own settings go into its
// config at start (settings.json, network.py).
func (a *applier) network(template, main *yaml.Node) {
	n := a.cfg.Network
	if n == nil {
		return
	}
	env := listAt(main, "env")
	if n.ProxyURL != "" {
		a.changed(a.envValue(env, "HTTPS_PROXY", n.ProxyURL, "network.proxy.url"), "env HTTPS_PROXY=%s", n.ProxyURL)
	}
	if len(n.NoProxy) > 0 {
		noProxy := strings.Join(n.NoProxy, ",")
		a.changed(a.envValue(env, "NO_PROXY", noProxy, "network.proxy.noProxy"), "env NO_PROXY=%s", noProxy)
	}
	for _, ca := range caFiles(a.cfg, a.isvc.GetName()) {
		a.changed(a.caVolume(template, main, ca), "volume %s from %s %s, mounted at %s", ca.Volume, ca.Source, ca.Name, ca.Dir())
	}
	if n.JoinsCAs() {
		for _, name := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"} {
			a.changed(a.envValue(env, name, CABundleFile, "network.caBundle and trustedCA"), "env %s=%s (the public roots and the CA bundles, joined at start)", name, CABundleFile)
		}
	}
}

// caVolume mounts a CA bundle's ConfigMap or Secret read-only.
func (a *applier) caVolume(template, main *yaml.Node, ca config.CAFile) bool {
	volumes := listAt(template, "volumes")
	source := newMap("name", ca.Name)
	if ca.Source == "secret" {
		source = newMap("secretName", ca.Name)
	}
	did := upsertVolume(volumes, ca.Volume, ca.Source, source)
	return upsertMount(main, ca.Volume, ca.Dir(), true) || did
}
