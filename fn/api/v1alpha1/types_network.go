package v1alpha1

// Network is how the server reaches a provider: timeouts, a proxy, the certificates it
// trusts and extra headers. spec.network applies to every provider; a provider's own network
// overrides it field by field. A setting the image's server line cannot honour is an error.
type Network struct {
	// ConnectTimeoutSeconds limits the TCP and TLS connection to the provider, in seconds.
	// Llama Stack 0.7 and OGX only (network.timeout.connect of the provider's config).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	ConnectTimeoutSeconds *int32 `json:"connectTimeoutSeconds,omitempty" yaml:"connectTimeoutSeconds,omitempty"`
	// ReadTimeoutSeconds limits the wait for each chunk of the provider's answer, in
	// seconds (not the whole stream). Llama Stack 0.7 and OGX only (network.timeout.read).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	ReadTimeoutSeconds *int32 `json:"readTimeoutSeconds,omitempty" yaml:"readTimeoutSeconds,omitempty"`
	// Proxy is the HTTPS proxy (HTTP CONNECT) the server reaches providers through. In
	// spec.network it becomes HTTPS_PROXY and NO_PROXY, which every line's HTTP client
	// reads; in a provider's network, that provider's network.proxy.https (Llama Stack 0.7
	// and OGX only), and noProxy must then stay in spec.network.
	// +optional
	Proxy *Proxy `json:"proxy,omitempty" yaml:"proxy,omitempty"`
	// CABundle is a PEM bundle of CA certificates to trust besides the public roots, from a
	// ConfigMap or a Secret. In spec.network the start-up joins it to the image's public
	// roots in one file that SSL_CERT_FILE and REQUESTS_CA_BUNDLE name; in a provider's
	// network, that provider alone trusts it (network.tls.verify; on Llama Stack 0.3 only
	// vllm's tls_verify).
	// +optional
	CABundle *CABundle `json:"caBundle,omitempty" yaml:"caBundle,omitempty"`
	// TLSVerify false stops checking the provider's certificate: for tests only, since
	// anyone on the path can then read the traffic and the key. Defaults to true.
	// Llama Stack 0.7 and OGX (network.tls.verify), and vllm's tls_verify on Llama Stack 0.3.
	// +optional
	TLSVerify *bool `json:"tlsVerify,omitempty" yaml:"tlsVerify,omitempty"`
	// Headers are extra HTTP headers sent with every request to the provider, by name, with
	// literal values. Headers that carry credentials (Authorization, X-Api-Key, Api-Key and
	// the like) are refused: credentials come from Secrets only. Llama Stack 0.7 and OGX
	// only (network.headers).
	// +optional
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
}

// Proxy is an HTTP proxy that tunnels HTTPS with CONNECT.
type Proxy struct {
	// URL of the proxy, http://host:port (or https://). Never with a user or password.
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url" yaml:"url"`
	// NoProxy lists the hosts reached directly, as NO_PROXY takes them: host names (a
	// leading dot for a domain's hosts), IP addresses, CIDR ranges are not understood by
	// every client. Only in spec.network.
	// +optional
	NoProxy []string `json:"noProxy,omitempty" yaml:"noProxy,omitempty"`
}

// CABundle is a key of a ConfigMap or of a Secret holding PEM certificates; set one.
type CABundle struct {
	// ConfigMap holding the bundle; the key defaults to ca-bundle.crt.
	// +optional
	ConfigMap *ObjectKey `json:"configMap,omitempty" yaml:"configMap,omitempty"`
	// Secret holding the bundle; the key defaults to ca.crt.
	// +optional
	Secret *ObjectKey `json:"secret,omitempty" yaml:"secret,omitempty"`
}

// ObjectKey names a key of a ConfigMap or Secret in the LLMInferenceService's namespace.
type ObjectKey struct {
	// Name of the object. Must be a DNS subdomain name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name" yaml:"name"`
	// Key in the object's data; the field that names the object says its default.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[-._a-zA-Z0-9]+$
	Key string `json:"key,omitempty" yaml:"key,omitempty"`
}

// TrustedCA is OpenShift's cluster-wide trusted CA bundle (the proxy's and any custom CA):
// the Cluster Network Operator fills a ConfigMap labelled
// config.openshift.io/inject-trusted-cabundle=true with it, under ca-bundle.crt.
type TrustedCA struct {
	// ConfigMapName is the labelled ConfigMap to mount. Defaults to <service>-trusted-ca,
	// which the function generates (empty, with the label) next to each service.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	ConfigMapName string `json:"configMapName,omitempty" yaml:"configMapName,omitempty"`
}

// Defaults of the network settings.
const (
	DefaultCABundleConfigMapKey = "ca-bundle.crt"
	// TrustedCALabel is the label that makes OpenShift inject its trusted CA bundle.
	TrustedCALabel = "config.openshift.io/inject-trusted-cabundle"
)
