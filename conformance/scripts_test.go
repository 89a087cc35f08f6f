package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
)

// fakeMaaS plays the MaaS gateway, MaaS's API and Llama Stack's health endpoint over HTTPS.
type fakeMaaS struct {
	mu           sync.Mutex
	apiKeys      bool // current MaaS (api-keys) or only the legacy tokens endpoint
	chatStatus   int  // status of chat completions
	chatNoUsage  bool // a 200 reply without usage
	models       []string
	clusterToken string // what minting a key must be authenticated with
	seenTokens   []string
	seenPaths    []string
}

func (f *fakeMaaS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seenPaths = append(f.seenPaths, r.Method+" "+r.URL.Path)
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.URL.Path == "/v1/health":
		reply(200, map[string]string{"status": "OK"})
	case r.URL.Path == "/maas-api/v1/api-keys" && r.Method == http.MethodPost:
		if !f.apiKeys {
			reply(404, map[string]string{"error": "not found"})
		} else if bearer != f.clusterToken {
			reply(401, map[string]string{"error": "unauthorized"})
		} else {
			reply(201, map[string]string{"key": "sk-maas-current", "name": "llamastack-integration-check"})
		}
	case r.URL.Path == "/maas-api/v1/tokens" && r.Method == http.MethodPost:
		if bearer != f.clusterToken {
			reply(401, map[string]string{"error": "unauthorized"})
		} else {
			reply(201, map[string]string{"token": "legacy-token"})
		}
	case r.URL.Path == "/maas-api/v1/models":
		f.seenTokens = append(f.seenTokens, bearer)
		var data []map[string]string
		for _, m := range f.models {
			data = append(data, map[string]string{"id": m, "object": "model"})
		}
		reply(200, map[string]any{"object": "list", "data": data})
	case strings.HasSuffix(r.URL.Path, "/v1/chat/completions") && r.Method == http.MethodPost:
		f.seenTokens = append(f.seenTokens, bearer)
		var req struct {
			Model string `json:"model"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if f.chatStatus != 200 {
			reply(f.chatStatus, map[string]string{"error": http.StatusText(f.chatStatus)})
			return
		}
		resp := map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]string{"role": "assistant", "content": "Hello there, nice to meet!"}}},
		}
		if !f.chatNoUsage {
			resp["usage"] = map[string]int{"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
		}
		reply(200, resp)
	default:
		reply(404, map[string]string{"error": "no route " + r.URL.Path})
	}
}

// startFakeMaaS serves f over TLS with a certificate for the host names the scripts discover,
// and returns its port and the CA file to trust.
func startFakeMaaS(t *testing.T, f *fakeMaaS) (port, caFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake-maas"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames:    []string{"gw.cluster.test", "maas.apps.cluster.test", "override.cluster.test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)
	server := httptest.NewUnstartedServer(f)
	server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	server.StartTLS()
	t.Cleanup(server.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, certPEM, 0o600))
	_, port, err = net.SplitHostPort(server.Listener.Addr().String())
	require.NoError(t, err)
	return port, caFile
}

const gatewayCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gateways.gateway.networking.k8s.io
  annotations: {api-approved.kubernetes.io: "https://github.com/kubernetes-sigs/gateway-api/pull/891"}
spec:
  group: gateway.networking.k8s.io
  names: {kind: Gateway, plural: gateways, singular: gateway, listKind: GatewayList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ingresses.config.openshift.io}
spec:
  group: config.openshift.io
  names: {kind: Ingress, plural: ingresses, singular: ingress, listKind: IngressList}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

// TestOperationsScripts runs scripts/validate-deployment.sh and scripts/test-chat-completion.sh
// with the real kubectl, curl and jq against the real API server (objects created, status
// set through the status subresource) and a local HTTPS server playing the MaaS gateway,
// MaaS's API and Llama Stack: the happy paths and each failure the scripts explain.
func TestOperationsScripts(t *testing.T) {
	for _, tool := range []string{"kubectl", "curl", "jq", "bash"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "%s is needed by the scripts' tests (.ci/run installs it)", tool)
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	s := startAPIServer(t)
	s.installCRD(t, filepath.Join(kserveDir(t, kserveVersions[len(kserveVersions)-1]), "config", "crd", "full", "llmisvc", "serving.kserve.io_llminferenceservices.yaml"))
	crdFile := filepath.Join(t.TempDir(), "crds.yaml")
	require.NoError(t, os.WriteFile(crdFile, []byte(gatewayCRD), 0o600))
	s.installCRD(t, crdFile)
	for _, ns := range []string{"llm", "openshift-ingress"} {
		s.mustKubectl(t, "", "create", "namespace", ns)
	}
	// No controller-manager here: the namespace's default ServiceAccount must be made by hand.
	s.mustKubectl(t, "", "-n", "llm", "create", "serviceaccount", "default")
	// The overlay's MaaSModelRef stays out: the subtests create and remove MaaS's objects.
	s.mustKubectl(t, withoutKind(readFile(t, filepath.Join(root, "testdata", "e2e", "gemini.yaml")), "MaaSModelRef"), "apply", "--server-side", "-f", "-")
	setReady := func(name, status string) {
		s.mustKubectl(t, "", "-n", "llm", "patch", "llminferenceservice", name, "--subresource=status", "--type=merge",
			"-p", `{"status":{"conditions":[{"type":"Ready","status":"`+status+`","reason":"Testing","message":"set by the test","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`)
	}
	setReady("gemini-llamastack", "True")
	s.mustKubectl(t, `apiVersion: v1
kind: Pod
metadata: {name: gemini-llamastack-kserve-0, namespace: llm, labels: {app.kubernetes.io/name: gemini-llamastack}}
spec:
  containers: [{name: main, image: docker.io/llamastack/distribution-starter:0.3.0}]
`, "apply", "-f", "-")
	s.mustKubectl(t, "", "-n", "llm", "patch", "pod", "gemini-llamastack-kserve-0", "--subresource=status", "--type=merge",
		"-p", `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`)
	s.mustKubectl(t, `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: maas-default-gateway, namespace: openshift-ingress}
spec:
  gatewayClassName: openshift-default
  listeners: [{name: https, port: 443, protocol: HTTPS, hostname: gw.cluster.test}]
---
apiVersion: config.openshift.io/v1
kind: Ingress
metadata: {name: cluster}
spec: {domain: apps.cluster.test}
`, "apply", "-f", "-")

	kubeconfigToken := regexpToken(t, readFile(t, s.kubeconfig))
	fake := &fakeMaaS{apiKeys: true, chatStatus: 200, models: []string{"gemini-2.0-flash"}, clusterToken: kubeconfigToken}
	port, ca := startFakeMaaS(t, fake)
	baseEnv := []string{"KUBECONFIG=" + s.kubeconfig, "MAAS_PORT=" + port, "MAAS_CACERT=" + ca, "MAAS_RESOLVE=127.0.0.1",
		"LLAMASTACK_URL=https://127.0.0.1:" + port, "CLUSTER_TOKEN=", "MAAS_TOKEN=", "MAAS_HOST=", "PATH=" + os.Getenv("PATH"),
		// kubectl keeps its discovery cache under $HOME/.kube, and without HOME in the working
		// directory, which is the repository.
		"HOME=" + t.TempDir()}
	script := func(env []string, name string, args ...string) (string, int) {
		cmd := exec.Command(filepath.Join(root, "scripts", name), args...)
		cmd.Env = append(append([]string{}, baseEnv...), env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if exitErr, ok := err.(*exec.ExitError); ok {
			code = exitErr.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return string(out), code
	}
	reset := func() {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		fake.apiKeys, fake.chatStatus, fake.chatNoUsage, fake.models, fake.seenTokens, fake.seenPaths = true, 200, false, []string{"gemini-2.0-flash"}, nil, nil
	}

	t.Run("validate happy path, host from the gateway listener, MaaS API key", func(t *testing.T) {
		reset()
		out, code := script(nil, "validate-deployment.sh", "gemini", "llm")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "All checks passed")
		require.Contains(t, out, "MaaS at gw.cluster.test lists gemini-2.0-flash")
		require.Contains(t, out, "1/1 pods Running and ready")
		require.Equal(t, []string{"sk-maas-current"}, fake.seenTokens)
	})
	t.Run("validate: not Ready", func(t *testing.T) {
		reset()
		setReady("gemini-llamastack", "False")
		defer setReady("gemini-llamastack", "True")
		out, code := script(nil, "validate-deployment.sh", "gemini", "llm")
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "FAIL  not Ready (False, Testing: set by the test)")
	})
	t.Run("validate: missing service", func(t *testing.T) {
		reset()
		out, code := script(nil, "validate-deployment.sh", "openai", "llm")
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "LLMInferenceService llm/openai-llamastack not found")
	})
	t.Run("validate: model not discovered, health down", func(t *testing.T) {
		reset()
		fake.models = []string{"another-model"}
		out, code := script([]string{"LLAMASTACK_URL=https://127.0.0.1:1", "LLAMASTACK_NAME=gemini-llamastack", "MAAS_TOKEN=given"}, "validate-deployment.sh", "gemini", "llm")
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "/v1/health did not answer")
		require.Contains(t, out, "does not list gemini-2.0-flash")
		require.Contains(t, out, "2 check(s) failed")
		require.Equal(t, []string{"given"}, fake.seenTokens, "a token from MAAS_TOKEN is used as is")
	})
	t.Run("validate: no pods", func(t *testing.T) {
		reset()
		s.mustKubectl(t, strings.Replace(withoutKind(readFile(t, filepath.Join(root, "testdata", "e2e", "gemini.yaml")), "MaaSModelRef"), "name: gemini-llamastack\n", "name: podless-llamastack\n", 1), "apply", "--server-side", "-f", "-")
		setReady("podless-llamastack", "True")
		out, code := script([]string{"LLAMASTACK_NAME=podless-llamastack"}, "validate-deployment.sh", "gemini", "llm")
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "FAIL  0/0 pods Running and ready")
		require.Contains(t, out, "1 check(s) failed")
	})
	t.Run("chat happy path", func(t *testing.T) {
		reset()
		out, code := script(nil, "test-chat-completion.sh", "gemini", "llm")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "POST https://gw.cluster.test/llm/gemini-llamastack/v1/chat/completions (model gemini-2.0-flash)")
		require.Contains(t, out, "reply:         Hello there, nice to meet!")
		require.Contains(t, out, "tokens:        19 (prompt 12, completion 7)")
		require.Contains(t, out, "finish reason: stop")
		require.Contains(t, fake.seenPaths, "POST /llm/gemini-llamastack/v1/chat/completions")
	})
	t.Run("chat with the name current MaaS lists", func(t *testing.T) {
		if !installMaaSCRDs(t, s, root) {
			testskip.Skip(t, "the operations scripts against MaaS objects: the MaaS CRDs (../shared/reference/maas-crds, upstream files not on the Go module proxy) are absent")
		}
		reset()
		s.mustKubectl(t, "apiVersion: maas.opendatahub.io/v1alpha1\nkind: MaaSModelRef\nmetadata: {name: gemini-llamastack, namespace: llm}\nspec: {modelRef: {kind: LLMInferenceService, name: gemini-llamastack}}\n", "apply", "-f", "-")
		defer s.mustKubectl(t, "", "-n", "llm", "delete", "maasmodelrefs.maas.opendatahub.io", "gemini-llamastack")
		s.mustKubectl(t, "", "-n", "llm", "patch", "maasmodelrefs.maas.opendatahub.io", "gemini-llamastack", "--subresource=status", "--type=merge",
			"-p", `{"status":{"resolvedModelAlias":"publishers/llm/models/gemini-2.0-flash"}}`)
		out, code := script(nil, "test-chat-completion.sh", "gemini", "llm")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "(model publishers/llm/models/gemini-2.0-flash)")
	})
	t.Run("chat with a legacy token, host from MAAS_HOST", func(t *testing.T) {
		reset()
		fake.apiKeys = false
		out, code := script([]string{"MAAS_HOST=override.cluster.test"}, "test-chat-completion.sh", "gemini", "llm", "gemini-2.5-pro")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "trying the legacy token endpoint")
		require.Contains(t, out, "POST https://override.cluster.test/llm/gemini-llamastack/v1/chat/completions (model gemini-2.5-pro)")
		require.Equal(t, []string{"legacy-token"}, fake.seenTokens)
	})
	t.Run("chat, host from the cluster domain", func(t *testing.T) {
		reset()
		s.mustKubectl(t, "", "-n", "openshift-ingress", "patch", "gateway", "maas-default-gateway", "--type=json", "-p", `[{"op":"remove","path":"/spec/listeners/0/hostname"}]`)
		defer s.mustKubectl(t, "", "-n", "openshift-ingress", "patch", "gateway", "maas-default-gateway", "--type=json", "-p", `[{"op":"add","path":"/spec/listeners/0/hostname","value":"gw.cluster.test"}]`)
		out, code := script(nil, "test-chat-completion.sh", "gemini", "llm")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "https://maas.apps.cluster.test/llm/")
	})
	for status, hint := range map[int]string{
		401: "HTTP 401: the gateway did not accept the token",
		403: "HTTP 403: the token is valid but may not use this model",
		404: "HTTP 404: no route /llm/gemini-llamastack/v1/chat/completions",
		429: "HTTP 429: rate limited",
		503: "HTTP 503: the gateway has no ready backend",
	} {
		t.Run("chat "+http.StatusText(status), func(t *testing.T) {
			reset()
			fake.chatStatus = status
			out, code := script(nil, "test-chat-completion.sh", "gemini", "llm")
			require.Equal(t, 1, code, out)
			require.Contains(t, out, hint)
		})
	}
	t.Run("chat reply without usage", func(t *testing.T) {
		reset()
		fake.chatNoUsage = true
		out, code := script(nil, "test-chat-completion.sh", "gemini", "llm")
		require.Equal(t, 4, code, out)
		require.Contains(t, out, "no usage.total_tokens")
	})
	t.Run("usage errors and help", func(t *testing.T) {
		for _, name := range []string{"validate-deployment.sh", "test-chat-completion.sh"} {
			out, code := script(nil, name, "--help")
			require.Equal(t, 0, code)
			require.Contains(t, out, "Exit codes:")
			_, code = script(nil, name, "--bogus")
			require.Equal(t, 2, code)
		}
	})
	t.Run("shellcheck", func(t *testing.T) {
		shellcheck, err := exec.LookPath("shellcheck")
		require.NoError(t, err, "shellcheck is needed (.ci/run installs Debian's shellcheck)")
		files, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
		lib, _ := filepath.Glob(filepath.Join(root, "scripts", "lib", "*.sh"))
		out, err := exec.Command(shellcheck, append([]string{"-x"}, append(files, append(lib, filepath.Join(root, ".ci", "run"))...)...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	})
}

func regexpToken(t *testing.T, kubeconfig string) string {
	t.Helper()
	i := strings.Index(kubeconfig, "token: ")
	require.GreaterOrEqual(t, i, 0)
	return strings.Trim(strings.Fields(kubeconfig[i+len("token: "):])[0], `"{}`)
}

// withoutKind is the multi-document YAML stream without its documents of kind.
func withoutKind(stream, kind string) string {
	var kept []string
	for _, doc := range strings.Split(stream, "\n---\n") {
		if !strings.Contains("\n"+doc, "\nkind: "+kind+"\n") {
			kept = append(kept, doc)
		}
	}
	return strings.Join(kept, "\n---\n")
}
