package servers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
)

// stsStandIn answers AWS STS's AssumeRoleWithWebIdentity and records the role and the token
// each call presents.
type stsStandIn struct {
	*httptest.Server
	mu    sync.Mutex
	calls []url.Values
}

func newSTSStandIn(t *testing.T) *stsStandIn {
	t.Helper()
	s := &stsStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.calls = append(s.calls, form)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
<Credentials><AccessKeyId>ASIASTANDIN</AccessKeyId><SecretAccessKey>stand-in-secret</SecretAccessKey><SessionToken>stand-in-session</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>%s/stand-in</Arn><AssumedRoleId>AROASTANDIN:stand-in</AssumedRoleId></AssumedRoleUser>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339), form.Get("RoleArn"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stsStandIn) seen() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.calls...)
}

// stsToken stands in for the service account's token that the kubelet projects.
const stsToken = "eyJstand-in-service-account-token.for-sts"

// TestBedrockAssumesTheRoleWithTheProjectedToken: with spec.identity.aws, the server's Bedrock
// provider reads the token file that the rendered projected volume holds and presents it,
// with the rendered role, to STS (a stand-in, through botocore's AWS_ENDPOINT_URL_STS). Run
// on every line that the function lets take identity.aws; the others are refused by the
// render (fn/config's TestIdentity).
func TestBedrockAssumesTheRoleWithTheProjectedToken(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/bedrock-invoke"
	for _, sl := range serverLines {
		if line, _ := llamastack.LineNamed(sl.line); line.NoAWSIdentity != "" {
			continue // the render refuses identity.aws there (fn/config's TestIdentity)
		}
		t.Run(sl.line, func(t *testing.T) {
			runtime := runtimeOf(t, sl)
			sts := newSTSStandIn(t)
			spec := fmt.Sprintf("    provider: bedrock\n    image: %s\n    tls: false\n    settings: {AWS_DEFAULT_REGION: us-east-1}\n"+
				"    identity: {serviceAccountName: bedrock-caller, aws: {roleARN: '%s', projectToken: true}}\n", sl.image, role)
			service, configMap := render(t, spec)
			p := newPod(t, service, configMap, nil)
			writeProjectedToken(t, p)
			p.env = append(p.env, "AWS_ENDPOINT_URL_STS="+sts.URL, "AWS_EC2_METADATA_DISABLED=true")
			server := start(t, sl, runtime, sl.uid, sl.gid, p, false)
			// The SDK assumes the role when it first needs credentials: at start-up (OGX's
			// model discovery client) or at the first call.
			_, _ = server.chat(t, "bedrock/meta.llama3-1-70b-instruct-v1:0")
			require.Eventually(t, func() bool { return len(sts.seen()) > 0 }, 30*time.Second, 250*time.Millisecond,
				"no AssumeRoleWithWebIdentity reached the stand-in STS:\n%s", server.log())
			call := sts.seen()[0]
			require.Equal(t, "AssumeRoleWithWebIdentity", call.Get("Action"))
			require.Equal(t, role, call.Get("RoleArn"), "the rendered AWS_ROLE_ARN")
			require.Equal(t, stsToken, call.Get("WebIdentityToken"), "the token file AWS_WEB_IDENTITY_TOKEN_FILE names")
			require.NotContains(t, server.log(), stsToken, "the token is never in the log")
			server.kill()
		})
	}
}

// writeProjectedToken puts the token in the folder behind the rendered projected volume, as
// the kubelet would.
func writeProjectedToken(t *testing.T, p pod) {
	t.Helper()
	for _, m := range p.mounts {
		if dir, found := strings.CutSuffix(m, ":/var/run/secrets/eks.amazonaws.com/serviceaccount"); found {
			writeFile(t, filepath.Join(dir, "token"), stsToken, 0o644)
			require.NoError(t, os.Chmod(dir, 0o755))
			return
		}
	}
	t.Fatalf("the render mounts no projected token: %v", p.mounts)
}
