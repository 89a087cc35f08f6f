package conformance

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testport"

	"github.com/stretchr/testify/require"
)

// apiServer is a real etcd and kube-apiserver on loopback, built from the Go module proxy by
// scripts/kube-binaries.sh (cached outside the repo after the first build).
type apiServer struct {
	kubeconfig string
	procs      []*exec.Cmd
}

// startAPIServer starts a fresh server for the test and stops it when the test ends. It
// fails, saying why, when the binaries cannot be built: the conformance suite never passes
// without a server.
func startAPIServer(t *testing.T) *apiServer {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	build := exec.Command(filepath.Join(root, "scripts", "kube-binaries.sh"))
	build.Stderr = os.Stderr
	out, err := build.Output()
	require.NoError(t, err, "cannot build kube-apiserver and etcd from the Go module proxy (scripts/kube-binaries.sh); the conformance tests need a real API server")
	bin := strings.TrimSpace(string(out))

	dir := t.TempDir()
	s := &apiServer{}
	t.Cleanup(s.stop)

	etcdPort, peerPort, apiPort := testport.Free(t), testport.Free(t), testport.Free(t)
	etcd := exec.Command(filepath.Join(bin, "etcd"),
		"--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort),
		"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peerPort),
		// The KServe CRD is over 2 MB of YAML.
		"--max-request-bytes", "10485760",
		"--log-level", "error")
	// etcd reads every ETCD_* variable as a flag.
	etcd.Env = withoutPrefix(os.Environ(), "ETCD_")
	s.start(t, etcd, filepath.Join(dir, "etcd.log"))

	saKey := filepath.Join(dir, "sa.key")
	writeServiceAccountKey(t, saKey)
	token := randomHex(t)
	tokens := filepath.Join(dir, "tokens.csv")
	require.NoError(t, os.WriteFile(tokens, []byte(token+`,admin,admin,"system:masters"`+"\n"), 0o600))
	apiserver := exec.Command(filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", fmt.Sprintf("http://127.0.0.1:%d", etcdPort),
		"--bind-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(apiPort),
		"--cert-dir", filepath.Join(dir, "certs"),
		"--token-auth-file", tokens,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", saKey,
		"--service-account-signing-key-file", saKey,
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--v", "0")
	s.start(t, apiserver, filepath.Join(dir, "kube-apiserver.log"))

	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	s.kubeconfig = filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(s.kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: %q}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, server, token)), 0o600))

	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(90 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "kube-apiserver.log"))
			t.Fatalf("kube-apiserver was not ready within 90s; its log ends:\n%s", tail(string(log), 3000))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return s
}

func (s *apiServer) start(t *testing.T, cmd *exec.Cmd, logPath string) {
	t.Helper()
	log, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	s.procs = append(s.procs, cmd)
}

func (s *apiServer) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
}

// kubectl runs the machine's kubectl against the server.
func (s *apiServer) kubectl(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", s.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustKubectl runs kubectl and fails the test on error.
func (s *apiServer) mustKubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := s.kubectl(t, stdin, args...)
	require.NoError(t, err, "kubectl %s: %s", strings.Join(args, " "), out)
	return out
}

// installCRD creates a CRD for real (a dry-run CRD serves nothing) and waits until it is
// Established. The KServe CRD is too large for client-side apply's annotation.
func (s *apiServer) installCRD(t *testing.T, path string) {
	t.Helper()
	names := strings.Fields(s.mustKubectl(t, "", "create", "-f", path, "-o", "name"))
	// kubectl wait fails while a new CRD has no conditions yet, so poll.
	deadline := time.Now().Add(60 * time.Second)
	for _, name := range names {
		for {
			out, _ := s.kubectl(t, "", "get", name, "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
			if out == "True" {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s is not Established after 60s", name)
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func writeServiceAccountKey(t *testing.T, path string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der := x509.MarshalPKCS1PrivateKey(key)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), 0o600))
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func withoutPrefix(env []string, prefix string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
