package v1alpha1

// Identity gives a provider short-lived credentials from the pod's identity instead of a
// long-lived key in apiKeySecret: Vertex AI (vertexai) from Google's Application Default
// Credentials, Amazon Bedrock (bedrock) from an IAM role (IRSA). Set exactly one of google
// and aws, for the provider it names; apiKeySecret is then not used.
type Identity struct {
	// ServiceAccountName is the pod's Kubernetes service account
	// (spec.template.serviceAccountName), created outside the function: the one the IAM
	// role trusts (aws), or the one bound to a Google service account by GKE Workload
	// Identity (google without credentialsSecret). Required with aws. Every provider of a
	// service that sets it must name the same one.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	ServiceAccountName string `json:"serviceAccountName,omitempty" yaml:"serviceAccountName,omitempty"`
	// Google is Vertex AI's Application Default Credentials.
	// +optional
	Google *GoogleIdentity `json:"google,omitempty" yaml:"google,omitempty"`
	// AWS is Amazon Bedrock's IAM role, assumed with the service account's token.
	// +optional
	AWS *AWSIdentity `json:"aws,omitempty" yaml:"aws,omitempty"`
}

// GoogleIdentity is where Vertex AI's Application Default Credentials come from.
type GoogleIdentity struct {
	// CredentialsSecret is the Secret key holding a Google service-account JSON; it is
	// mounted read-only and named by GOOGLE_APPLICATION_CREDENTIALS. The key defaults to
	// service-account.json. Leave it out on GKE with Workload Identity, where the
	// credentials come from the metadata server for serviceAccountName.
	// +optional
	CredentialsSecret *SecretKey `json:"credentialsSecret,omitempty" yaml:"credentialsSecret,omitempty"`
}

// AWSIdentity is an IAM role for service accounts (IRSA).
type AWSIdentity struct {
	// RoleARN is the IAM role to assume, written as AWS_ROLE_ARN, for example
	// arn:aws:iam::123456789012:role/bedrock-invoke. Required with projectToken. Leave it
	// out where the cluster injects the role (EKS's pod identity webhook reads it from the
	// service account's eks.amazonaws.com/role-arn annotation, and leaves alone a container
	// that already sets AWS_ROLE_ARN).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=^arn:aws[-a-z]*:iam::[0-9]{12}:role/.+$
	RoleARN string `json:"roleARN,omitempty" yaml:"roleARN,omitempty"`
	// ProjectToken mounts the service account's token for audience sts.amazonaws.com
	// (a projected volume, read-only at /var/run/secrets/eks.amazonaws.com/serviceaccount)
	// and names it in AWS_WEB_IDENTITY_TOKEN_FILE. Set it where the cluster does not inject
	// them (no EKS pod identity webhook: OpenShift, kind, self-managed clusters whose OIDC
	// issuer AWS trusts). Defaults to false.
	// +optional
	ProjectToken bool `json:"projectToken,omitempty" yaml:"projectToken,omitempty"`
}

// Identity defaults.
const (
	// DefaultGoogleCredentialsKey is identity.google.credentialsSecret's default key.
	DefaultGoogleCredentialsKey = "service-account.json"
	// AWSTokenAudience is the audience of the projected token that STS accepts.
	AWSTokenAudience = "sts.amazonaws.com"
)
