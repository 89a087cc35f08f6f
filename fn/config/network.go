package config

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
)

// Network is spec.network, spec.trustedCA and the providers' network, resolved: what the pod
// gets as a whole (the proxy's variables, the CA files joined into one bundle) and what each
// provider's config gets.
type Network struct {
	// ProxyURL and NoProxy are spec.network.proxy: HTTPS_PROXY and NO_PROXY.
	ProxyURL string
	NoProxy  []string
	// CAs are the pod-wide CA files (spec.network.caBundle), joined with the public roots.
	CAs []CAFile
	// TrustedCA is spec.trustedCA's ConfigMap name; "" with GenerateTrustedCA for the
	// generated <service>-trusted-ca.
	TrustedCA         string
	GenerateTrustedCA bool
	HasTrustedCA      bool
	// Providers is each provider's own settings, by provider name; a provider with none is
	// absent.
	Providers map[string]ProviderNetwork
}

// ProviderNetwork is what one provider's config gets.
type ProviderNetwork struct {
	ConnectTimeout, ReadTimeout *int32
	// ProxyURL is the provider's own proxy (a provider's network.proxy.url).
	ProxyURL string
	// CA is the provider's own CA bundle.
	CA        *CAFile
	TLSVerify *bool
	Headers   map[string]string
}

// CAFile is a CA bundle of a ConfigMap or Secret, mounted read-only as Volume.
type CAFile struct {
	// Source is configMap or secret.
	Source, Name, Key string
	Volume            string
	// From is the field it was set in, for messages.
	From string
}

// CADir holds the mounted CA bundles, one folder per volume.
const CADir = "/etc/llamastack-integration-ca"

// Dir is where the CA's volume is mounted; Path is its file.
func (c CAFile) Dir() string  { return CADir + "/" + c.Volume }
func (c CAFile) Path() string { return c.Dir() + "/" + c.Key }

// TrustedCAVolume mounts spec.trustedCA's ConfigMap.
const TrustedCAVolume = "trusted-ca"

// TrustedCAName is the ConfigMap spec.trustedCA mounts for the service named service.
func (n *Network) TrustedCAName(service string) string {
	return cmp.Or(n.TrustedCA, service+"-trusted-ca")
}

// TrustedCAFile is spec.trustedCA's mounted bundle for service.
func (n *Network) TrustedCAFile(service string) CAFile {
	return CAFile{Source: "configMap", Name: n.TrustedCAName(service), Key: v1alpha1.DefaultCABundleConfigMapKey, Volume: TrustedCAVolume, From: "trustedCA"}
}

// JoinsCAs says the start-up writes a joined bundle that SSL_CERT_FILE names.
func (n *Network) JoinsCAs() bool { return n != nil && (len(n.CAs) > 0 || n.HasTrustedCA) }

// credentialHeader matches header names that carry credentials.
var credentialHeader = regexp.MustCompile(`(?i)(^authorization$|^proxy-authorization$|^cookie$|api-?key|token|secret|password|auth)`)

// headerName is an HTTP field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// network resolves spec.network, the providers' network and spec.trustedCA.
func (r *resolver) network() {
	spec := r.spec
	hasProviderNetwork := slices.ContainsFunc(spec.Providers, func(p v1alpha1.ProviderSpec) bool { return p.Network != nil })
	if spec.Network == nil && spec.TrustedCA == nil && !hasProviderNetwork {
		return
	}
	n := &Network{Providers: map[string]ProviderNetwork{}}
	cluster := v1alpha1.Network{}
	if spec.Network != nil {
		cluster = *spec.Network
		r.add(checkNetwork(cluster, r.p("network")), nil)
		if p := cluster.Proxy; p != nil {
			n.ProxyURL, n.NoProxy = p.URL, p.NoProxy
		}
		if ca := cluster.CABundle; ca != nil {
			n.CAs = append(n.CAs, caFile(*ca, "network-ca", r.p("network.caBundle")))
		}
	}
	if t := spec.TrustedCA; t != nil {
		n.HasTrustedCA, n.TrustedCA, n.GenerateTrustedCA = true, t.ConfigMapName, t.ConfigMapName == ""
		if t.ConfigMapName != "" {
			r.add(checkName(r.p("trustedCA.configMapName"), t.ConfigMapName, "ConfigMap", dnsSubdomain, 253), nil)
		}
	}
	for i, pc := range r.cfg.Providers {
		var own *v1alpha1.Network
		path := r.prefix
		if i < len(spec.Providers) {
			own, path = spec.Providers[i].Network, fmt.Sprintf("%s[%d]", r.p("providers"), i)
		}
		pn, errs := r.providerNetwork(pc, cluster, own, path)
		r.add(errs, nil)
		if pn.ConnectTimeout != nil || pn.ReadTimeout != nil || pn.ProxyURL != "" || pn.CA != nil || pn.TLSVerify != nil || len(pn.Headers) > 0 {
			n.Providers[pc.Provider.Name] = pn
		}
	}
	r.cfg.Network = n
}

// providerNetwork is one provider's settings: its own network over spec.network's, field by
// field, checked against the line.
func (r *resolver) providerNetwork(pc ProviderConfig, cluster v1alpha1.Network, own *v1alpha1.Network, path string) (ProviderNetwork, []diag.Problem) {
	var errs []diag.Problem
	o := v1alpha1.Network{}
	if own != nil {
		o = *own
		errs = append(errs, checkNetwork(o, path+".network")...)
		if o.Proxy != nil && len(o.Proxy.NoProxy) > 0 {
			errs = append(errs, diag.New(path+".network.proxy.noProxy", "is only taken in spec.network.proxy, as NO_PROXY: the servers ignore a provider's network.proxy.no_proxy (their http_client.py never reads it); move it there"))
		}
	}
	from := func(field string, ownSet bool) string {
		if ownSet {
			return path + ".network." + field
		}
		return r.p("network." + field)
	}
	pn := ProviderNetwork{
		ConnectTimeout: cmp.Or(o.ConnectTimeoutSeconds, cluster.ConnectTimeoutSeconds),
		ReadTimeout:    cmp.Or(o.ReadTimeoutSeconds, cluster.ReadTimeoutSeconds),
		TLSVerify:      cmp.Or(o.TLSVerify, cluster.TLSVerify),
		Headers:        o.Headers,
	}
	if pn.Headers == nil {
		pn.Headers = cluster.Headers
	}
	if o.Proxy != nil {
		pn.ProxyURL = o.Proxy.URL
	}
	if o.CABundle != nil {
		ca := caFile(*o.CABundle, pc.Provider.Name+"-network-ca", path+".network.caBundle")
		pn.CA = &ca
	}
	if pn.CA != nil && pn.TLSVerify != nil && !*pn.TLSVerify {
		errs = append(errs, diag.New(from("tlsVerify", o.TLSVerify != nil), "is false, which checks no certificate, while %s names a CA to check it against; remove one", pn.CA.From))
	}
	if r.lineOpen() || r.cfg.Line.NetworkBlock {
		return pn, errs
	}
	// The line has no network block: Llama Stack 0.3.x's vllm alone takes tls_verify.
	line := r.cfg.Line
	unsupported := func(field string, ownSet bool, what string) {
		errs = append(errs, diag.New(from(field, ownSet), "the %s line (%s) cannot set %s for %s: its providers' configs have no network block (Llama Stack 0.7 and OGX have one); use an image of another line, or remove it",
			line.Name, line.Versions, what, pc.Provider.Name))
	}
	if pn.ConnectTimeout != nil {
		unsupported("connectTimeoutSeconds", o.ConnectTimeoutSeconds != nil, "a connect timeout")
	}
	if pn.ReadTimeout != nil {
		unsupported("readTimeoutSeconds", o.ReadTimeoutSeconds != nil, "a read timeout")
	}
	if len(pn.Headers) > 0 {
		unsupported("headers", o.Headers != nil, "extra headers")
	}
	if pn.ProxyURL != "" {
		unsupported("proxy", true, "a proxy of one provider (spec.network.proxy, as HTTPS_PROXY, works on every line)")
	}
	if pc.Provider.Name != "vllm" && (pn.CA != nil || pn.TLSVerify != nil) {
		field, ownSet := "tlsVerify", o.TLSVerify != nil
		if pn.CA != nil {
			field, ownSet = "caBundle", true
		}
		unsupported(field, ownSet, "TLS verification of one provider (only vllm's tls_verify exists there; spec.network.caBundle, joined to the public roots, works on every line)")
	}
	return pn, errs
}

// caFile resolves a caBundle: one of configMap and secret, with the key's default.
func caFile(ca v1alpha1.CABundle, volume, path string) CAFile {
	if ca.ConfigMap != nil {
		return CAFile{Source: "configMap", Name: ca.ConfigMap.Name, Key: cmp.Or(ca.ConfigMap.Key, v1alpha1.DefaultCABundleConfigMapKey), Volume: volume, From: path}
	}
	if ca.Secret != nil {
		return CAFile{Source: "secret", Name: ca.Secret.Name, Key: cmp.Or(ca.Secret.Key, v1alpha1.DefaultCAKey), Volume: volume, From: path}
	}
	return CAFile{Volume: volume, From: path}
}

// checkNetwork checks one network's values; path is where it is.
func checkNetwork(n v1alpha1.Network, path string) []diag.Problem {
	var errs []diag.Problem
	for field, v := range map[string]*int32{"connectTimeoutSeconds": n.ConnectTimeoutSeconds, "readTimeoutSeconds": n.ReadTimeoutSeconds} {
		if v != nil && (*v < 1 || *v > 86400) {
			errs = append(errs, diag.New(path+"."+field, "is %d; give whole seconds from 1 to 86400", *v))
		}
	}
	if p := n.Proxy; p != nil {
		errs = append(errs, checkProxy(*p, path+".proxy")...)
	}
	if ca := n.CABundle; ca != nil {
		errs = append(errs, checkCABundle(*ca, path+".caBundle")...)
	}
	for _, name := range slices.Sorted(maps.Keys(n.Headers)) {
		errs = append(errs, checkHeader(name, n.Headers[name], path+".headers."+name)...)
	}
	slices.SortFunc(errs, func(a, b diag.Problem) int { return strings.Compare(a.Path, b.Path) })
	return errs
}

func checkProxy(p v1alpha1.Proxy, path string) []diag.Problem {
	var errs []diag.Problem
	u, err := url.Parse(p.URL)
	switch {
	case p.URL == "":
		errs = append(errs, diag.New(path+".url", "is required; give the proxy as http://host:port"))
	case err == nil && u.User != nil:
		errs = append(errs, diag.Problem{Path: path + ".url", Message: "carries a user name or password, which would be in the manifest in plain text; the function supports no proxy credentials: give the URL without them", Redact: true})
	case hasTemplate(p.URL):
		errs = append(errs, templateProblem(path+".url", p.URL))
	default:
		if problem := checkURL(p.URL); problem != "" {
			errs = append(errs, diag.New(path+".url", "%s", strings.Replace(problem, "https://example.com/v1", "http://proxy.example.com:3128", 1)))
		}
	}
	for i, h := range p.NoProxy {
		if h == "" || strings.ContainsAny(h, ", \t\n") || hasTemplate(h) {
			errs = append(errs, diag.New(fmt.Sprintf("%s.noProxy[%d]", path, i), "%q is not a host; give one host name, domain (.example.com) or IP address per entry", truncate(h)))
		}
	}
	return errs
}

func checkCABundle(ca v1alpha1.CABundle, path string) []diag.Problem {
	switch {
	case ca.ConfigMap != nil && ca.Secret != nil:
		return []diag.Problem{diag.New(path, "names both a configMap and a secret; keep one")}
	case ca.ConfigMap != nil:
		return objectKey(path+".configMap", "ConfigMap", *ca.ConfigMap)
	case ca.Secret != nil:
		return objectKey(path+".secret", "Secret", *ca.Secret)
	}
	return []diag.Problem{diag.New(path, "is empty; name the configMap or the secret that holds the PEM bundle")}
}

func objectKey(path, kind string, k v1alpha1.ObjectKey) []diag.Problem {
	errs := checkName(path+".name", k.Name, kind, dnsSubdomain, 253)
	if k.Key != "" && (len(k.Key) > 253 || !secretKey.MatchString(k.Key)) {
		errs = append(errs, diag.New(path+".key", "%q is not a valid key; use letters, digits, '-', '_' and '.' only (at most 253)", truncate(k.Key)))
	}
	return errs
}

// checkHeader refuses header names that carry credentials, whose values would be in the
// manifest (and Git, and the start-up ConfigMap) in plain text.
func checkHeader(name, value, path string) []diag.Problem {
	switch {
	case !headerName.MatchString(name):
		return []diag.Problem{diag.New(path, "%q is not an HTTP header name; use letters, digits and '-'", truncate(name))}
	case credentialHeader.MatchString(name):
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("%s carries a credential, and header values are literal: they would be in the manifest, in Git and in the start-up ConfigMap in plain text. Credentials come only from Secrets: use the provider's apiKeySecret, and remove this header", name), Redact: true}}
	case LooksLikeCredential(value):
		return []diag.Problem{{Path: path, Message: fmt.Sprintf("looks like a credential (%d characters, not repeated here); header values are literal, in plain text in the manifest: credentials come only from Secrets (apiKeySecret). Rotate it if this file was shared", len(value)), Redact: true}}
	case value == "" || strings.ContainsAny(value, "\r\n") || hasTemplate(value):
		return []diag.Problem{diag.New(path, "%q is not a header value; give one line of text, without {{ or }}", truncate(value))}
	}
	return nil
}

// CABundleName is the file, in the data folder, where the start-up joins the public roots
// and the pod-wide CA bundles.
const CABundleName = "ca-bundle.pem"

// The OpenAI client's own timeouts (openai-python _constants.py DEFAULT_TIMEOUT: 600 s, connect
// 5 s), given to the one of connect and read left unset: the servers' network.timeout leaves
// an unset one unlimited (http_client.py passes None to httpx.Timeout).
const (
	defaultConnectTimeout = 5
	defaultReadTimeout    = 600
)

// NetworkStartup is settings.json's network: what network.py does at start.
type NetworkStartup struct {
	// CABundle is the file to write: the public roots, then CAFiles.
	CABundle string        `json:"caBundle,omitempty"`
	CAFiles  []StartupFile `json:"caFiles,omitempty"`
	// Providers are keys to set in each provider's config, by provider id.
	Providers map[string]map[string]any `json:"providers,omitempty"`
}

// StartupFile is a mounted CA bundle; Optional says a missing one (OpenShift has not
// injected the bundle yet) is only reported.
type StartupFile struct {
	Path     string `json:"path"`
	From     string `json:"from"`
	Optional bool   `json:"optional,omitempty"`
}

// NetworkStartup is settings.json's network for the service named service, or nil; dataDir
// is the data folder.
func (c *Config) NetworkStartup(service, dataDir string) *NetworkStartup {
	n := c.Network
	if n == nil {
		return nil
	}
	s := &NetworkStartup{Providers: map[string]map[string]any{}}
	if n.JoinsCAs() {
		s.CABundle = dataDir + "/" + CABundleName
		for _, ca := range n.CAs {
			s.CAFiles = append(s.CAFiles, StartupFile{Path: ca.Path(), From: fmt.Sprintf("%s (%s %s key %s)", ca.From, ca.Source, ca.Name, ca.Key)})
		}
		if n.HasTrustedCA {
			ca := n.TrustedCAFile(service)
			s.CAFiles = append(s.CAFiles, StartupFile{Path: ca.Path(), From: fmt.Sprintf("trustedCA (ConfigMap %s key %s)", ca.Name, ca.Key), Optional: true})
		}
	}
	for _, pc := range c.Providers {
		if pn, ok := n.Providers[pc.Provider.Name]; ok {
			s.Providers[pc.Provider.Name] = pn.configKeys(c.Line.NetworkBlock)
		}
	}
	if len(s.Providers) == 0 {
		s.Providers = nil
	}
	return s
}

// configKeys are the provider's config keys: the network block (LS 0.7, OGX), or vllm's
// tls_verify (LS 0.3).
func (pn ProviderNetwork) configKeys(block bool) map[string]any {
	var verify any
	if pn.TLSVerify != nil {
		verify = *pn.TLSVerify
	}
	if pn.CA != nil {
		verify = pn.CA.Path()
	}
	if !block {
		return map[string]any{"tls_verify": verify}
	}
	network := map[string]any{}
	if verify != nil {
		network["tls"] = map[string]any{"verify": verify}
	}
	if pn.ConnectTimeout != nil || pn.ReadTimeout != nil {
		timeout := map[string]any{"connect": defaultConnectTimeout, "read": defaultReadTimeout}
		if pn.ConnectTimeout != nil {
			timeout["connect"] = *pn.ConnectTimeout
		}
		if pn.ReadTimeout != nil {
			timeout["read"] = *pn.ReadTimeout
		}
		network["timeout"] = timeout
	}
	if pn.ProxyURL != "" {
		network["proxy"] = map[string]any{"https": pn.ProxyURL}
	}
	if len(pn.Headers) > 0 {
		network["headers"] = pn.Headers
	}
	return map[string]any{"network": network}
}
