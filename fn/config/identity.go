package config

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
)

// Identity is a provider's workload identity (spec.identity) with its defaults applied. A
// Google service-account file is the provider's Secret (ProviderConfig.SecretName), mounted
// like any credentials file; the rest is here.
type Identity struct {
	// ServiceAccountName is the pod's service account, or "".
	ServiceAccountName string
	// RoleARN is AWS_ROLE_ARN, or "" where the cluster injects it.
	RoleARN string
	// ProjectToken mounts the service account's token for STS and names it in
	// AWS_WEB_IDENTITY_TOKEN_FILE.
	ProjectToken bool
}

// identityProviders are the providers an identity kind is for: the one whose SDK takes it.
var identityProviders = map[string]string{"google": "vertexai", "aws": "bedrock"}

var roleARN = regexp.MustCompile(`^arn:aws[-a-z]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)

// resolveIdentity applies ps.identity to pc, whose Secret resolveSecret has already set:
// the identity replaces the provider's Secret (google's credentialsSecret becomes it).
func resolveIdentity(ps v1alpha1.ProviderSpec, pc *ProviderConfig, p func(string) string, line llamastack.Line, lineOpen bool) []diag.Problem {
	id := ps.Identity
	if id == nil {
		return nil
	}
	kind := identityKind(id)
	if errs := checkIdentityShape(ps, kind, p); len(errs) > 0 {
		return errs
	}
	pc.Identity = &Identity{ServiceAccountName: id.ServiceAccountName}
	var errs []diag.Problem
	if id.ServiceAccountName != "" {
		errs = append(errs, checkName(p("identity.serviceAccountName"), id.ServiceAccountName, "service account", dnsSubdomain, 253)...)
	}
	if kind == "google" {
		return append(errs, googleIdentity(id, pc, p)...)
	}
	return append(errs, awsIdentity(ps, pc, p, line, lineOpen)...)
}

// identityKind is the kind set in id ("google" or "aws"), or "" for none or both.
func identityKind(id *v1alpha1.Identity) string {
	switch {
	case id.Google != nil && id.AWS == nil:
		return "google"
	case id.AWS != nil && id.Google == nil:
		return "aws"
	}
	return ""
}

// checkIdentityShape checks that identity names one kind, the provider's, and replaces
// apiKeySecret rather than joining it.
func checkIdentityShape(ps v1alpha1.ProviderSpec, kind string, p func(string) string) []diag.Problem {
	want := ""
	for k, provider := range identityProviders {
		if provider == ps.Provider {
			want = k
		}
	}
	switch {
	case want == "":
		return []diag.Problem{diag.New(p("identity"), "is for vertexai (identity.google) and bedrock (identity.aws) only, whose SDKs take short-lived credentials from the pod; %s reads an API key: remove identity and use apiKeySecret", ps.Provider)}
	case kind == "":
		return []diag.Problem{diag.New(p("identity"), "needs exactly one of google and aws; %s takes identity.%s", ps.Provider, want)}
	case kind != want:
		return []diag.Problem{diag.New(p("identity."+kind), "is not %s's identity; %s takes identity.%s", ps.Provider, ps.Provider, want)}
	case ps.APIKeySecret != nil:
		return []diag.Problem{diag.New(p("apiKeySecret"), "cannot be combined with identity, which replaces the Secret's credentials; remove apiKeySecret (a Google service-account file goes in identity.google.credentialsSecret)")}
	}
	return nil
}

// googleIdentity makes identity.google.credentialsSecret the provider's credentials file, or,
// without it, leaves the credentials to the environment (GKE Workload Identity).
func googleIdentity(id *v1alpha1.Identity, pc *ProviderConfig, p func(string) string) []diag.Problem {
	c := pc.Provider.Credentials
	s := id.Google.CredentialsSecret
	if c == nil {
		return nil
	}
	if s == nil {
		if id.ServiceAccountName == "" {
			return []diag.Problem{diag.New(p("identity.google"), "has no credentialsSecret, so the credentials must come from the pod's service account (GKE Workload Identity); set identity.serviceAccountName, or identity.google.credentialsSecret to the Secret holding a service-account JSON")}
		}
		pc.Provider.Credentials, pc.SecretName, pc.SecretKeys = nil, "", nil
		return nil
	}
	key := cmp.Or(s.Key, v1alpha1.DefaultGoogleCredentialsKey)
	pc.SecretName, pc.SecretKeys = s.Name, map[string]string{c.Env: key}
	errs := checkName(p("identity.google.credentialsSecret.name"), s.Name, "Secret", dnsSubdomain, 253)
	if len(key) > 253 || !secretKey.MatchString(key) {
		errs = append(errs, diag.New(p("identity.google.credentialsSecret.key"), "%q is not a valid Secret key; use letters, digits, '-', '_' and '.' only (at most 253), for example %s", truncate(key), v1alpha1.DefaultGoogleCredentialsKey))
	}
	return errs
}

// awsIdentity drops Bedrock's Secret for the IAM role, on a line whose Bedrock provider
// assumes a role from a web-identity token.
func awsIdentity(ps v1alpha1.ProviderSpec, pc *ProviderConfig, p func(string) string, line llamastack.Line, lineOpen bool) []diag.Problem {
	a := ps.Identity.AWS
	var errs []diag.Problem
	if !lineOpen && line.NoAWSIdentity != "" {
		errs = append(errs, diag.New(p("identity.aws"), "cannot be honoured by the %s line (%s): %s; use an image of the %s line (spec.image)", line.Name, line.Versions, line.NoAWSIdentity, strings.Join(awsIdentityLines(), " or ")))
	}
	if ps.Identity.ServiceAccountName == "" {
		errs = append(errs, diag.New(p("identity.serviceAccountName"), "is required with identity.aws: the IAM role trusts a Kubernetes service account, whose token the pod presents to STS; name it"))
	}
	switch {
	case a.ProjectToken && a.RoleARN == "":
		errs = append(errs, diag.New(p("identity.aws.roleARN"), "is required with projectToken: nothing else tells the SDK which role to assume; give the role's ARN, for example arn:aws:iam::123456789012:role/bedrock-invoke"))
	case !a.ProjectToken && a.RoleARN != "":
		errs = append(errs, diag.New(p("identity.aws.roleARN"), "is set without projectToken, where the cluster injects the token: EKS's pod identity webhook takes the role from the service account's eks.amazonaws.com/role-arn annotation and injects nothing into a container that already sets AWS_ROLE_ARN; annotate the service account and remove roleARN, or set projectToken: true where no webhook injects the token"))
	case a.RoleARN != "" && !roleARN.MatchString(a.RoleARN):
		errs = append(errs, diag.New(p("identity.aws.roleARN"), "%q is not an IAM role ARN; give one such as arn:aws:iam::123456789012:role/bedrock-invoke", truncate(a.RoleARN)))
	}
	if _, set := ps.Settings["AWS_ROLE_ARN"]; set {
		errs = append(errs, diag.New(p("settings.AWS_ROLE_ARN"), "cannot be combined with identity.aws; set the role in identity.aws.roleARN"))
	}
	pc.Identity.RoleARN, pc.Identity.ProjectToken = a.RoleARN, a.ProjectToken
	pc.Provider.Secrets, pc.SecretName, pc.SecretKeys = nil, "", nil
	return errs
}

// awsIdentityLines are the lines whose Bedrock provider assumes a role from a token file.
func awsIdentityLines() []string {
	var names []string
	for _, l := range llamastack.Lines() {
		if l.NoAWSIdentity == "" {
			names = append(names, l.Name)
		}
	}
	return names
}

// checkServiceAccounts checks that the providers that set a service account agree on it: a
// pod has one.
func checkServiceAccounts(pcs []ProviderConfig, path string) []diag.Problem {
	first := ""
	for i, pc := range pcs {
		if pc.Identity == nil || pc.Identity.ServiceAccountName == "" {
			continue
		}
		if first == "" {
			first = pc.Identity.ServiceAccountName
		} else if pc.Identity.ServiceAccountName != first {
			return []diag.Problem{diag.New(fmt.Sprintf("%s[%d].identity.serviceAccountName", path, i), "is %q, but another provider names %q, and a pod has one service account; name the same one in both (one service account can trust the IAM role and be bound to the Google one)",
				truncate(pc.Identity.ServiceAccountName), truncate(first))}
		}
	}
	return nil
}

// ServiceAccountName is the pod's service account that the providers' identities ask for, or "".
func (c *Config) ServiceAccountName() string {
	for _, pc := range c.Providers {
		if pc.Identity != nil && pc.Identity.ServiceAccountName != "" {
			return pc.Identity.ServiceAccountName
		}
	}
	return ""
}
