package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIdentity checks what spec.identity resolves to, and the path and fix of each mistake.
func TestIdentity(t *testing.T) {
	const vertex = "provider: vertexai\n  settings: {VERTEX_AI_PROJECT: p}\n  "
	for _, tc := range []struct {
		name, spec string
		// errPath and errText are the one error expected, or "" for none.
		errPath, errText string
		check            func(t *testing.T, pc ProviderConfig)
	}{
		{name: "google file", spec: vertex + "identity: {google: {credentialsSecret: {name: sa}}}", check: func(t *testing.T, pc ProviderConfig) {
			require.Equal(t, "sa", pc.SecretName)
			require.Equal(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "service-account.json"}, pc.SecretKeys)
			require.NotNil(t, pc.Provider.Credentials, "the file is mounted")
		}},
		{name: "google workload identity", spec: vertex + "identity: {serviceAccountName: wi, google: {}}", check: func(t *testing.T, pc ProviderConfig) {
			require.Empty(t, pc.SecretName)
			require.Nil(t, pc.Provider.Credentials, "no file: the metadata server gives the credentials")
			require.Equal(t, "wi", pc.Identity.ServiceAccountName)
		}},
		{name: "aws projected", spec: "provider: bedrock\n  identity: {serviceAccountName: sa, aws: {roleARN: 'arn:aws:iam::123456789012:role/r', projectToken: true}}", check: func(t *testing.T, pc ProviderConfig) {
			require.Empty(t, pc.SecretName)
			require.Empty(t, pc.Provider.Secrets, "no Secret: the role replaces the key")
			require.Equal(t, Identity{ServiceAccountName: "sa", RoleARN: "arn:aws:iam::123456789012:role/r", ProjectToken: true}, *pc.Identity)
		}},
		{name: "neither kind", spec: vertex + "identity: {serviceAccountName: x}", errPath: "spec.identity", errText: "needs exactly one of google and aws; vertexai takes identity.google"},
		{name: "both kinds", spec: "provider: bedrock\n  identity: {serviceAccountName: x, google: {}, aws: {}}", errPath: "spec.identity", errText: "needs exactly one of google and aws; bedrock takes identity.aws"},
		{name: "bad role", spec: "provider: bedrock\n  identity: {serviceAccountName: x, aws: {roleARN: 'arn:aws:iam::1:user/u', projectToken: true}}", errPath: "spec.identity.aws.roleARN", errText: `"arn:aws:iam::1:user/u" is not an IAM role ARN`},
		{name: "bad service account", spec: "provider: bedrock\n  identity: {serviceAccountName: Not_A_Name, aws: {}}", errPath: "spec.identity.serviceAccountName", errText: "is not a valid service account name"},
		{name: "bad key", spec: vertex + "identity: {google: {credentialsSecret: {name: sa, key: 'a b'}}}", errPath: "spec.identity.google.credentialsSecret.key", errText: `"a b" is not a valid Secret key`},
		{name: "line without IRSA", spec: "provider: bedrock\n  imageLine: llama-stack-0.7\n  identity: {serviceAccountName: x, aws: {}}", errPath: "spec.identity.aws", errText: "cannot be honoured by the llama-stack-0.7 line"},
		{name: "0.3 line, whose Bedrock answers no chat", spec: "provider: bedrock\n  imageLine: llama-stack\n  identity: {serviceAccountName: x, aws: {}}", errPath: "spec.identity.aws", errText: "cannot be honoured by the llama-stack line"},
		{name: "odh-ogx line", spec: "provider: bedrock\n  imageLine: odh-ogx\n  identity: {serviceAccountName: x, aws: {}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs, _ := load(t, header+"spec:\n  "+tc.spec+"\n")
			if tc.errPath == "" {
				require.Empty(t, errs)
				if tc.check != nil {
					tc.check(t, cfg.Providers[0])
				}
				return
			}
			require.Len(t, errs, 1, "%v", errs)
			require.Equal(t, tc.errPath, errs[0].Path)
			require.Contains(t, errs[0].Message, tc.errText)
		})
	}
}
