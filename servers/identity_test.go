package servers

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/internal/testskip"
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

// tokenStandIn is Google's OAuth token endpoint: it answers the JWT-bearer grant that
// google-auth makes with a service account's key, and records each assertion.
type tokenStandIn struct {
	*httptest.Server
	mu         sync.Mutex
	assertions []string
}

func newTokenStandIn(t *testing.T) *tokenStandIn {
	t.Helper()
	s := &tokenStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.assertions = append(s.assertions, r.PostForm.Get("assertion"))
		s.mu.Unlock()
		writeJSON(w, map[string]any{"access_token": "ya29.stand-in", "expires_in": 3600, "token_type": "Bearer"})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *tokenStandIn) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.assertions...)
}

// serviceAccountJSON is a Google service-account key file whose token_uri is tokenURI, and
// the key that signs its assertions.
func serviceAccountJSON(t *testing.T, tokenURI string) (string, *rsa.PublicKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "my-project", "private_key_id": "stand-in",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "vertex-caller@my-project.iam.gserviceaccount.com", "client_id": "1",
		"token_uri": tokenURI,
	})
	require.NoError(t, err)
	return string(b), &key.PublicKey
}

// TestVertexReadsTheMountedServiceAccount: with spec.identity.google, Llama Stack 0.3.0's
// Vertex AI provider (google.auth.default) reads the service-account file that the rendered
// Secret volume and GOOGLE_APPLICATION_CREDENTIALS give it, and exchanges a JWT signed with its
// key at the file's token_uri (a stand-in). The other lines' Vertex AI provider needs
// google-genai, which no test runtime has.
func TestVertexReadsTheMountedServiceAccount(t *testing.T) {
	sl := serverLines[0]
	require.Equal(t, "llama-stack", sl.line)
	runtime := runtimeOf(t, sl)
	if err := exec.Command("/usr/bin/python3", "-c", "import google.auth").Run(); err != nil {
		testskip.Skip(t, "Vertex AI's identity on a real server: the image ships google-auth, the llama-stack runtime takes it from Debian's python3-google-auth, which is not installed")
	}
	tokens := newTokenStandIn(t)
	account, public := serviceAccountJSON(t, tokens.URL+"/token")
	spec := fmt.Sprintf("    provider: vertexai\n    image: %s\n    tls: false\n    settings: {VERTEX_AI_PROJECT: my-project, VERTEX_AI_LOCATION: us-central1}\n"+
		"    identity: {serviceAccountName: vertex-caller, google: {credentialsSecret: {name: vertex-sa}}}\n", sl.image)
	service, configMap := render(t, spec)
	p := newPod(t, service, configMap, map[string]map[string]string{"vertex-sa": {"service-account.json": account}})
	// The provider gets its token when the start-up registers the model, which then checks the
	// model at Vertex AI: unreachable from here, so the server stops after the token exchange.
	server := launch(t, sl, runtime, sl.uid, sl.gid, p, false)
	require.Eventually(t, func() bool { return len(tokens.seen()) > 0 }, 90*time.Second, 250*time.Millisecond,
		"no token request reached the stand-in token_uri:\n%s", server.log())
	claims := verifiedJWT(t, tokens.seen()[0], public)
	require.Equal(t, "vertex-caller@my-project.iam.gserviceaccount.com", claims["iss"], "the mounted file's client_email")
	require.NotContains(t, server.log(), "PRIVATE KEY", "the key is never in the log")
	server.kill()
}

// verifiedJWT checks an RS256 JWT's signature with public and returns its claims.
func verifiedJWT(t *testing.T, token string, public *rsa.PublicKey) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a JWT assertion")
	// google-auth pads its segments with '='; a JWT need not.
	signature, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	require.NoError(t, err)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(public, crypto.SHA256, digest[:], signature), "signed with the mounted file's key")
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return claims
}
