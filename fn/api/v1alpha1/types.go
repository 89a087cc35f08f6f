// Package v1alpha1 holds the LlamastackIntegration API: the functionConfig that tells the
// llamastack-integration KRM function how to turn a base KServe LLMInferenceService into a
// Llama Stack deployment for one external LLM provider behind the MaaS gateway.
//
// The doc comments on the types below are the user-facing reference: the README and the
// function's --help are generated from them, so write them for platform engineers.
//
// +groupName=llamastack.opendatahub.io
package v1alpha1

const (
	// Group is the API group of the functionConfig.
	Group = "llamastack.opendatahub.io"
	// Version is the API version of the functionConfig.
	Version = "v1alpha1"
	// APIVersion is Group/Version, as written in the functionConfig's apiVersion.
	APIVersion = Group + "/" + Version
	// Kind is the kind of the functionConfig.
	Kind = "LlamastackIntegration"

	// ProviderLabel and InstanceLabel are the labels the function sets on each
	// LLMInferenceService and on what it generates for it: the (first) provider's name, and
	// the service's final name.
	ProviderLabel = "provider"
	InstanceLabel = "app.kubernetes.io/instance"
	// GeneratedForAnnotation marks every object the function generates, with the name of the
	// LLMInferenceService it was generated for. The function replaces only objects so marked.
	GeneratedForAnnotation = Group + "/generated-for"
)

// LlamastackIntegration configures the llamastack-integration function. It is a
// functionConfig, never applied to a cluster: kustomize and kpt pass it to the function and
// leave it out of the output.
type LlamastackIntegration struct {
	APIVersion string   `json:"apiVersion" yaml:"apiVersion"`
	Kind       string   `json:"kind" yaml:"kind"`
	Metadata   Metadata `json:"metadata" yaml:"metadata"`
	// Spec says which provider to put behind Llama Stack and where to serve it.
	Spec Spec `json:"spec" yaml:"spec"`
}

// Metadata is the functionConfig's object metadata. Only name and annotations mean anything
// to the function; the rest is accepted so that ordinary Kubernetes tooling can carry it.
type Metadata struct {
	Name        string            `json:"name,omitempty" yaml:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
}

// Spec is the desired Llama Stack integration. Name one provider with provider, model,
// apiKeySecret and settings, or several with providers; not both.
type Spec struct {
	// Provider is the external LLM provider Llama Stack forwards to, by its registry name
	// (for example gemini, openai, anthropic). Required unless providers is set.
	// +optional
	Provider string `json:"provider,omitempty" yaml:"provider,omitempty"`

	// Model is the provider's model that the LLMInferenceService serves; it becomes
	// spec.model.name. Defaults to the provider's default model. A model the registry does
	// not know is accepted with a warning, since providers add models every month.
	// +optional
	Model string `json:"model,omitempty" yaml:"model,omitempty"`

	// APIKeySecret is the Secret that holds the provider's credentials. The function only
	// references it (env valueFrom.secretKeyRef, or a mounted file); it never reads or
	// emits a key. Defaults to name <provider>-<provider>-api-key, key api-key.
	// +optional
	APIKeySecret *SecretKeyRef `json:"apiKeySecret,omitempty" yaml:"apiKeySecret,omitempty"`

	// Settings are the provider's plain (non-secret) settings, by environment variable
	// name, for example AZURE_API_BASE or VLLM_URL. Each provider accepts its own; a
	// required one missing is an error.
	// +optional
	Settings map[string]string `json:"settings,omitempty" yaml:"settings,omitempty"`

	// Identity gives the provider short-lived credentials from the pod's identity instead
	// of apiKeySecret: Vertex AI's Application Default Credentials, Bedrock's IAM role (IRSA).
	// +optional
	Identity *Identity `json:"identity,omitempty" yaml:"identity,omitempty"`

	// Providers serves several providers from one Llama Stack, each provider's model under its
	// own names; only these providers' inference is enabled. spec.model.name is the first
	// provider's model. An alternative to provider, model, apiKeySecret and settings.
	// +optional
	Providers []ProviderSpec `json:"providers,omitempty" yaml:"providers,omitempty"`

	// Network is how the server reaches every provider: timeouts, proxy, CA bundle, TLS
	// verification, headers. A provider's own network overrides it field by field.
	// +optional
	Network *Network `json:"network,omitempty" yaml:"network,omitempty"`

	// TrustedCA mounts OpenShift's injected trusted CA bundle and makes the server trust it
	// together with the public roots. Set it to {} to have the function generate the
	// labelled ConfigMap.
	// +optional
	TrustedCA *TrustedCA `json:"trustedCA,omitempty" yaml:"trustedCA,omitempty"`

	// Gateway is the Gateway API gateway that KServe attaches the HTTPRoute to.
	// Defaults to maas-default-gateway in openshift-ingress, the MaaS gateway.
	// +optional
	Gateway *GatewayRef `json:"gateway,omitempty" yaml:"gateway,omitempty"`

	// Tiers sets the legacy MaaS annotation alpha.maas.opendatahub.io/tiers to these tier
	// names, as a JSON array. An empty list grants every tier; leaving the field out sets
	// no annotation. Current MaaS uses spec.maas instead.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	Tiers *[]string `json:"tiers,omitempty" yaml:"tiers,omitempty"`

	// Target selects the LLMInferenceServices to change. Defaults to every
	// LLMInferenceService in the input.
	// +optional
	Target *Target `json:"target,omitempty" yaml:"target,omitempty"`

	// Image is the Llama Stack container image. Defaults to the base's image when it has
	// one, else to docker.io/ogxai/distribution-starter:1.3.0, the newest starter release. A
	// :latest or untagged image is accepted with a warning: it makes rollouts unreproducible.
	// +optional
	Image string `json:"image,omitempty" yaml:"image,omitempty"`

	// ModelURI is spec.model.uri. KServe requires it and checks its scheme even though a
	// remote provider needs no weights, and it never downloads it while skipModelDownload is
	// true. Defaults to the base's uri when it has one, else to the placeholder
	// hf://llamastack-integration/no-weights; with kserveVersion v0.16, to
	// pvc://<service name>-no-weights, a 1Mi PersistentVolumeClaim the function generates.
	// +optional
	// +kubebuilder:validation:Pattern=^(hf|oci|oci\+native|pvc|s3)://.+
	ModelURI string `json:"modelURI,omitempty" yaml:"modelURI,omitempty"`

	// SkipModelDownload sets spec.storageInitializer.enabled=false, so that KServe adds no
	// init container that downloads the model URI (a remote provider needs no weights, and
	// the download of the placeholder fails). Defaults to true; KServe v0.16 has no such
	// field, so with kserveVersion v0.16 it must be left unset.
	// +optional
	SkipModelDownload *bool `json:"skipModelDownload,omitempty" yaml:"skipModelDownload,omitempty"`

	// KServeVersion is the KServe release the output is for: v0.16, v0.17, v0.18, v0.19 or
	// v0.20 (a patch release such as v0.20.1 is accepted). Defaults to v0.20, whose output
	// also suits v0.17 to v0.19. v0.16 needs output of its own: its webhook rejects gateway
	// refs together with the managed route, so none are written and the cluster's ingress
	// gateway (inferenceservice-config ingress.kserveIngressGateway) must be the MaaS
	// gateway; it has no storageInitializer, so the model URI is an empty PVC that the
	// function generates instead of a download.
	// +optional
	// +kubebuilder:validation:Pattern=^v0\.[0-9]+(\.[0-9]+)?$
	KServeVersion string `json:"kserveVersion,omitempty" yaml:"kserveVersion,omitempty"`

	// TLS makes Llama Stack serve HTTPS with the certificate KServe mounts at
	// /var/run/kserve/tls, and the probes use HTTPS. Set it to what the cluster's
	// inferenceservice-config says in ingress.enableLLMInferenceServiceTLS: true on Open Data
	// Hub (the default here), false on upstream KServe v0.18 and later, where the workload is
	// then reached over plain HTTP. KServe v0.16 and v0.17 always route HTTPS to the
	// workload, so there it must stay true.
	// +optional
	TLS *bool `json:"tls,omitempty" yaml:"tls,omitempty"`

	// ImageLine is the server line of the image: llama-stack (the Llama Stack 0.3.x starter,
	// docker.io/llamastack/distribution-starter:0.3.x), llama-stack-0.7 (its 0.4 to 0.7
	// starters), odh-llama-stack (Open Data Hub's Llama Stack 0.7 distribution,
	// quay.io/opendatahub/llama-stack), ogx (the OGX 1.x starter, as Llama Stack is called
	// from 0.8 on, docker.io/ogxai/distribution-starter) or odh-ogx (Open Data Hub's OGX
	// distribution, quay.io/opendatahub/odh-ogx-core). The function knows the line of those
	// images; set it only for an image it does not know, such as a mirror.
	// +optional
	// +kubebuilder:validation:Enum=llama-stack;llama-stack-0.7;odh-llama-stack;ogx;odh-ogx
	ImageLine string `json:"imageLine,omitempty" yaml:"imageLine,omitempty"`

	// Storage is where the server keeps its state: the model registry, stored chat
	// completions and responses, conversations, files' metadata. Without it, SQLite files on
	// the pod's data volume (an emptyDir): one replica's state, lost with the pod, so
	// spec.replicas above 1 needs postgres.
	// +optional
	Storage *Storage `json:"storage,omitempty" yaml:"storage,omitempty"`

	// RunAsUser runs the pod as this UID, with the same GID and fsGroup. Leave it unset on
	// OpenShift, whose restricted SCC assigns a random UID; set it on vanilla Kubernetes for
	// an image that runs as root, which runAsNonRoot would refuse (for example 1001).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=2147483647
	RunAsUser *int64 `json:"runAsUser,omitempty" yaml:"runAsUser,omitempty"`

	// MaaS generates current Models-as-a-Service objects for each LLMInferenceService:
	// a MaaSModelRef, and optionally a MaaSAuthPolicy and a MaaSSubscription. Off when
	// absent, so that output is unchanged for users of the legacy tiers annotation.
	// +optional
	MaaS *MaaS `json:"maas,omitempty" yaml:"maas,omitempty"`

	// NetworkPolicy generates a NetworkPolicy for each LLMInferenceService's pods: ingress
	// only to port 8000 from the gateway's namespace and MaaS's API namespace, egress only
	// to DNS and to the providers (TCP 443, and the ports of URL settings). Set it to {}
	// for the defaults; off when absent.
	// +optional
	NetworkPolicy *NetworkPolicy `json:"networkPolicy,omitempty" yaml:"networkPolicy,omitempty"`

	// Quiet leaves out the one line per LLMInferenceService that the function prints on
	// stderr to say what it changed (kustomize shows it under the build). Warnings and
	// errors are always printed, and kpt's results always carry the full report.
	// +optional
	Quiet bool `json:"quiet,omitempty" yaml:"quiet,omitempty"`
}

// Storage selects the server's state store.
type Storage struct {
	// Postgres keeps the state in a PostgreSQL database that every replica shares. The
	// function writes the server's POSTGRES_* variables; the password comes from a Secret.
	// +optional
	Postgres *PostgresStorage `json:"postgres,omitempty" yaml:"postgres,omitempty"`
}

// PostgresStorage is a PostgreSQL database for the server's state.
type PostgresStorage struct {
	// Host is the database server's host name, for example postgres.db.svc.cluster.local.
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host" yaml:"host"`
	// Port defaults to 5432.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty" yaml:"port,omitempty"`
	// Database is the database's name; the server creates its tables there.
	// +kubebuilder:validation:MaxLength=63
	Database string `json:"database" yaml:"database"`
	// User is the role the server connects as; it must own the database or be allowed to
	// create tables in it.
	// +kubebuilder:validation:MaxLength=63
	User string `json:"user" yaml:"user"`
	// PasswordSecret is the Secret key that holds the user's password: name is required,
	// key defaults to password. The function only references it.
	PasswordSecret SecretKey `json:"passwordSecret" yaml:"passwordSecret"`
	// SSLMode is libpq's sslmode, which both of the servers' drivers (asyncpg, psycopg2)
	// read from PGSSLMODE: disable, allow, prefer, require, verify-ca or verify-full.
	// Leave it unset for the drivers' default, prefer.
	// +optional
	// +kubebuilder:validation:Enum=disable;allow;prefer;require;verify-ca;verify-full
	SSLMode string `json:"sslMode,omitempty" yaml:"sslMode,omitempty"`
	// CASecret is a Secret key holding the CA certificate (PEM) that verify-ca and
	// verify-full check the server against; it is mounted read-only and named by
	// PGSSLROOTCERT. The key defaults to ca.crt.
	// +optional
	CASecret *SecretKey `json:"caSecret,omitempty" yaml:"caSecret,omitempty"`
}

// SecretKey names a key of a Secret in the LLMInferenceService's namespace, for a field
// with a default key of its own.
type SecretKey struct {
	// Name of the Secret. Must be a DNS subdomain name.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name" yaml:"name"`
	// Key in the Secret's data; the field that names the Secret says its default.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[-._a-zA-Z0-9]+$
	Key string `json:"key,omitempty" yaml:"key,omitempty"`
}

// ProviderSpec is one provider of the several-provider form.
type ProviderSpec struct {
	// Provider is the provider's registry name. Required.
	Provider string `json:"provider" yaml:"provider"`
	// Model defaults to the provider's default model.
	// +optional
	Model string `json:"model,omitempty" yaml:"model,omitempty"`
	// APIKeySecret defaults to <provider>-<provider>-api-key, key api-key.
	// +optional
	APIKeySecret *SecretKeyRef `json:"apiKeySecret,omitempty" yaml:"apiKeySecret,omitempty"`
	// Settings are the provider's plain settings by environment variable name.
	// +optional
	Settings map[string]string `json:"settings,omitempty" yaml:"settings,omitempty"`
	// Identity replaces apiKeySecret with the pod's identity (vertexai, bedrock).
	// +optional
	Identity *Identity `json:"identity,omitempty" yaml:"identity,omitempty"`
	// Network overrides spec.network for this provider, field by field.
	// +optional
	Network *Network `json:"network,omitempty" yaml:"network,omitempty"`
}

// MaaS selects the Models-as-a-Service objects to generate.
type MaaS struct {
	// ModelRef generates a MaaSModelRef named like the LLMInferenceService, in its
	// namespace. Required by authPolicy and subscription, which refer to it.
	// +optional
	ModelRef *MaaSModelRef `json:"modelRef,omitempty" yaml:"modelRef,omitempty"`
	// AuthPolicy generates a MaaSAuthPolicy that lets subjects use the model.
	// +optional
	AuthPolicy *MaaSAuthPolicy `json:"authPolicy,omitempty" yaml:"authPolicy,omitempty"`
	// Subscription generates a MaaSSubscription with token rate limits.
	// +optional
	Subscription *MaaSSubscription `json:"subscription,omitempty" yaml:"subscription,omitempty"`
}

// MaaSModelRef is what people see of the model in MaaS.
type MaaSModelRef struct {
	// DisplayName is the openshift.io/display-name annotation. Defaults to
	// "<provider display name> <model>".
	// +optional
	DisplayName string `json:"displayName,omitempty" yaml:"displayName,omitempty"`
	// Description is the openshift.io/description annotation. Defaults to a sentence that
	// names the model, the provider and Llama Stack.
	// +optional
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// GenAIUseCase is the opendatahub.io/genai-use-case annotation, the use case MaaS lists
	// for the model, for example chat (MaaS documents no fixed set).
	// +optional
	// +kubebuilder:validation:Pattern=\S
	GenAIUseCase string `json:"genaiUseCase,omitempty" yaml:"genaiUseCase,omitempty"`
	// ContextWindow is the opendatahub.io/context-window annotation: the model's context
	// window in tokens. Defaults to what the provider documents for its default model
	// (gemini and vertexai); otherwise no annotation.
	// +optional
	// +kubebuilder:validation:Minimum=1
	ContextWindow *int64 `json:"contextWindow,omitempty" yaml:"contextWindow,omitempty"`
	// ModelCapabilities is the opendatahub.io/model-capabilities annotation, written as a
	// JSON array, for example [text-generation].
	// +optional
	// +kubebuilder:validation:Pattern=\S
	ModelCapabilities []string `json:"modelCapabilities,omitempty" yaml:"modelCapabilities,omitempty"`
}

// MaaSAuthPolicy grants access to the model.
type MaaSAuthPolicy struct {
	// Namespace of the MaaSAuthPolicy. Defaults to models-as-a-service.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// Groups that may use the model. Groups and users together need at least one entry.
	// +optional
	Groups []string `json:"groups,omitempty" yaml:"groups,omitempty"`
	// Users that may use the model.
	// +optional
	Users []string `json:"users,omitempty" yaml:"users,omitempty"`
}

// MaaSSubscription sets token rate limits for the model.
type MaaSSubscription struct {
	// Namespace of the MaaSSubscription. Defaults to models-as-a-service.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// OwnerGroups own the subscription. Owner groups and users together need at least one.
	// +optional
	OwnerGroups []string `json:"ownerGroups,omitempty" yaml:"ownerGroups,omitempty"`
	// OwnerUsers own the subscription.
	// +optional
	OwnerUsers []string `json:"ownerUsers,omitempty" yaml:"ownerUsers,omitempty"`
	// Priority orders subscriptions that cover the same user; higher wins. Defaults to 0.
	// +optional
	// +kubebuilder:validation:Minimum=-2147483648
	// +kubebuilder:validation:Maximum=2147483647
	Priority *int32 `json:"priority,omitempty" yaml:"priority,omitempty"`
	// TokenRateLimits are the limits; at least one is required.
	// +kubebuilder:validation:MinItems=1
	TokenRateLimits []TokenRateLimit `json:"tokenRateLimits" yaml:"tokenRateLimits"`
}

// TokenRateLimit allows limit tokens per window.
type TokenRateLimit struct {
	// Limit is the number of tokens, 1 to 1,000,000,000.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000000
	Limit int64 `json:"limit" yaml:"limit"`
	// Window is the period: 1 to 9999 followed by s, m or h, for example 1h.
	// +kubebuilder:validation:Pattern=^[1-9][0-9]{0,3}[smh]$
	Window string `json:"window" yaml:"window"`
}

// NetworkPolicy configures the generated NetworkPolicy.
type NetworkPolicy struct {
	// MaaSAPINamespace is where MaaS's API runs; it is let in for model discovery.
	// Defaults to opendatahub (the operator's applications namespace; a standalone MaaS
	// install uses maas-api, Red Hat OpenShift AI uses redhat-ods-applications).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	MaaSAPINamespace string `json:"maasAPINamespace,omitempty" yaml:"maasAPINamespace,omitempty"`
}

// SecretKeyRef names a key of a Secret in the LLMInferenceService's namespace.
type SecretKeyRef struct {
	// Name of the Secret. Must be a DNS subdomain name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Key in the Secret's data. Defaults to api-key.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[-._a-zA-Z0-9]+$
	Key string `json:"key,omitempty" yaml:"key,omitempty"`
}

// GatewayRef names a Gateway API gateway.
type GatewayRef struct {
	// Name of the gateway. Defaults to maas-default-gateway.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Namespace of the gateway. Always written out: KServe does not default it to the
	// service's namespace. Defaults to openshift-ingress.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
}

// Target selects LLMInferenceServices by name and namespace.
type Target struct {
	// Name of the LLMInferenceService as written in the base, before kustomize's name
	// prefix or suffix; the final name matches too.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Namespace of the LLMInferenceService, as in the function's input.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
}

// Defaults that the API documents.
const (
	DefaultSecretKey        = "api-key"
	DefaultGatewayName      = "maas-default-gateway"
	DefaultGatewayNamespace = "openshift-ingress"
	// DefaultModelURI satisfies KServe's required, scheme-checked spec.model.uri for a
	// server that downloads no weights.
	DefaultModelURI = "hf://llamastack-integration/no-weights"
	// DefaultMaaSNamespace is where MaaS keeps its access objects.
	DefaultMaaSNamespace = "models-as-a-service"
	// DefaultMaaSAPINamespace is where the ODH operator runs MaaS's API.
	DefaultMaaSAPINamespace = "opendatahub"
	// DefaultPostgresPort, DefaultPasswordKey and DefaultCAKey are spec.storage.postgres's.
	DefaultPostgresPort = 5432
	DefaultPasswordKey  = "password"
	DefaultCAKey        = "ca.crt"
)

// DefaultSecretName is the Secret the function references when apiKeySecret.name is not
// set: <provider>-<provider>-api-key, the name users of the seed deployment already have.
func DefaultSecretName(provider string) string {
	return provider + "-" + provider + "-api-key"
}
