package transform

import (
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// The projected service-account token for AWS STS, where EKS's pod identity webhook would
// put it (amazon-eks-pod-identity-webhook pkg/handler: volume aws-iam-token, this folder,
// file token), so that a pod reads the same path with or without the webhook.
const (
	awsTokenVolume = "aws-iam-token"
	awsTokenDir    = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	awsTokenFile   = awsTokenDir + "/token"
	// awsTokenSeconds is the token's lifetime; the kubelet renews it at 80%.
	awsTokenSeconds = 86400
)

// identityMounts are the function's mounts for the providers' identities: the projected
// token of identity.aws.projectToken. (A Google service-account file is the provider's
// credentials file, among secretMounts.)
func identityMounts(cfg *config.Config) []mount {
	for _, pc := range cfg.Providers {
		if pc.Identity != nil && pc.Identity.ProjectToken {
			return []mount{{volume: awsTokenVolume, path: awsTokenDir, source: "projected",
				what: "the service account's token for AWS STS, which AWS_WEB_IDENTITY_TOKEN_FILE names"}}
		}
	}
	return nil
}

// identity gives the pod the providers' identities: the service account, and for an IAM role
// its ARN and token; the credentials an identity replaces are dropped from main.
func (a *applier) identity(template, main *yaml.Node) {
	if name := a.cfg.ServiceAccountName(); name != "" {
		did := a.ownString(template, "serviceAccountName", "spec.template.serviceAccountName", "identity.serviceAccountName", name)
		a.changed(did, "pod serviceAccountName %s", name)
	}
	env := listAt(main, "env")
	for _, pc := range a.cfg.Providers {
		if pc.Identity == nil {
			continue
		}
		a.dropReplaced(env, pc)
		if pc.Identity.RoleARN != "" {
			a.changed(a.envValue(env, "AWS_ROLE_ARN", pc.Identity.RoleARN, "identity.aws.roleARN"), "env AWS_ROLE_ARN=%s", pc.Identity.RoleARN)
		}
		if pc.Identity.ProjectToken {
			a.awsToken(template, main)
		}
	}
}

// awsToken mounts the service account's token for STS and points AWS_WEB_IDENTITY_TOKEN_FILE,
// which botocore and OGX's Bedrock provider read, at it.
func (a *applier) awsToken(template, main *yaml.Node) {
	token := newMap("audience", v1alpha1.AWSTokenAudience, "expirationSeconds", awsTokenSeconds, "path", "token")
	sources := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{newMap("serviceAccountToken", token)}}
	did := upsertVolume(listAt(template, "volumes"), awsTokenVolume, "projected", newMap("sources", sources))
	did = upsertMount(main, awsTokenVolume, awsTokenDir, true) || did
	did = a.envValue(listAt(main, "env"), "AWS_WEB_IDENTITY_TOKEN_FILE", awsTokenFile, "identity.aws.projectToken") || did
	a.changed(did, "service account token for %s mounted at %s (AWS_WEB_IDENTITY_TOKEN_FILE)", v1alpha1.AWSTokenAudience, awsTokenDir)
}

// dropReplaced removes from env the provider's Secret variables that its identity replaces:
// a reference left from a key-based setup would win over the identity (OGX's Bedrock
// provider prefers a bearer token). A literal value there is an error found by Check.
func (a *applier) dropReplaced(env *yaml.Node, pc config.ProviderConfig) {
	full, _ := providers.Lookup(pc.Provider.Name)
	kept := pc.Provider.SecretEnvNames() // a Google service-account file stays
	for _, name := range full.SecretEnvNames() {
		if i := itemByName(env, name); i >= 0 && !slices.Contains(kept, name) {
			env.Content = slices.Delete(env.Content, i, i+1)
			a.warn(envPath(name), "read %s's credential, which identity replaces: removed, so that the provider uses the pod's identity", pc.Provider.DisplayName)
			a.changed(true, "removed env %s (replaced by identity)", name)
		}
	}
}

// identityReplaces is the fix for a literal credential of a provider that uses an identity.
func identityReplaces(pc config.ProviderConfig) string {
	if pc.Identity == nil {
		return ""
	}
	return "This service gives " + pc.Provider.DisplayName + " the pod's identity (identity) instead: remove the variable."
}
