package conformance

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testport"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// kserveCluster is a real kube-apiserver with KServe's own LLMInferenceService controller
// (cmd/llmisvc of github.com/kserve/kserve, built from the Go module proxy) running out of
// cluster against it, its admission and conversion webhooks served for real. Everything it
// installs is read from the upstream modules at test time: KServe's CRDs, presets, webhook
// configurations and inferenceservice-config, and the Gateway API, Inference Extension and
// LeaderWorkerSet CRDs at the versions KServe's go.mod requires.
type kserveCluster struct {
	*apiServer
	version string
	tls     bool
	log     string
}

// controllerNamespace is where KServe keeps inferenceservice-config and its presets.
const controllerNamespace = "kserve"

// maasGateway is the gateway every overlay names; the cluster gets it with a GatewayClass.
var maasGateway = struct{ name, namespace string }{"maas-default-gateway", "openshift-ingress"}

// startKServe starts an API server and KServe's controller at version, with the cluster's
// enableLLMInferenceServiceTLS set to tls.
func startKServe(t *testing.T, version string, tls bool) *kserveCluster {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	build := exec.Command(filepath.Join(root, "scripts", "kserve-controller.sh"), version)
	build.Stderr = os.Stderr
	out, err := build.Output()
	require.NoError(t, err, "cannot build KServe %s's controller from the Go module proxy (scripts/kserve-controller.sh)", version)
	controller := strings.TrimSpace(string(out))

	c := &kserveCluster{apiServer: startAPIServer(t), version: version, tls: tls}
	dir := kserveDir(t, version)
	tmp := t.TempDir()
	port := testport.Free(t)
	caPEM := writeWebhookCerts(t, filepath.Join(tmp, "k8s-webhook-server", "serving-certs"))
	webhookURL := fmt.Sprintf("https://127.0.0.1:%d", port)

	for _, crd := range kserveDependencyCRDs(t, dir) {
		c.installCRD(t, crd)
	}
	llmCRDs, _ := filepath.Glob(filepath.Join(dir, "config", "crd", "full", "llmisvc", "serving.kserve.io_*.yaml"))
	require.Len(t, llmCRDs, 2, "KServe %s's LLMInferenceService and LLMInferenceServiceConfig CRDs", version)
	for _, crd := range llmCRDs {
		c.installCRD(t, withConversionWebhook(t, crd, webhookURL, caPEM, tmp))
	}
	c.mustKubectl(t, webhookConfigurations(t, dir, webhookURL, caPEM), "apply", "-f", "-")
	c.createNamespace(t, controllerNamespace)
	c.createNamespace(t, maasGateway.namespace)
	c.mustKubectl(t, inferenceServiceConfig(t, dir, tls), "apply", "--server-side", "-f", "-")
	c.mustKubectl(t, gatewayManifest, "apply", "-f", "-")

	c.log = filepath.Join(tmp, "controller.log")
	cmd := exec.Command(controller, "--webhook-port", fmt.Sprint(port), "--metrics-addr", "0", "--health-probe-addr", "0")
	// controller-runtime reads its serving certificate from $TMPDIR/k8s-webhook-server/serving-certs.
	cmd.Env = append(withoutPrefix(os.Environ(), "KUBECONFIG="), "KUBECONFIG="+c.kubeconfig, "TMPDIR="+tmp, "POD_NAMESPACE="+controllerNamespace)
	c.start(t, cmd, c.log)
	c.waitForWebhooks(t, port)

	// The presets go through the controller's validating webhook, which proves it serves.
	presets, _ := filepath.Glob(filepath.Join(dir, "config", "llmisvcconfig", "config-*.yaml"))
	require.NotEmpty(t, presets)
	for _, p := range presets {
		c.mustKubectl(t, "", "apply", "--server-side", "-n", controllerNamespace, "-f", p)
	}
	return c
}

// createNamespace creates ns with the default ServiceAccount that kube-controller-manager
// would add (none runs here); KServe reads it for model credentials.
func (c *kserveCluster) createNamespace(t *testing.T, ns string) {
	t.Helper()
	c.mustKubectl(t, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: %s}\n", ns, ns), "apply", "-f", "-")
}

func (c *kserveCluster) waitForWebhooks(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(c.log)
			t.Fatalf("KServe's controller serves no webhooks after 90s; its log ends:\n%s", tail(string(log), 4000))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// kserveDependencyCRDs returns the CRDs of the modules KServe's go.mod requires that its
// controller watches: Gateway API, Gateway API Inference Extension and LeaderWorkerSet.
func kserveDependencyCRDs(t *testing.T, kserve string) []string {
	t.Helper()
	out, err := exec.Command("go", "mod", "edit", "-json", filepath.Join(kserve, "go.mod")).Output()
	require.NoError(t, err)
	var gomod struct {
		Require []struct{ Path, Version string }
	}
	require.NoError(t, json.Unmarshal(out, &gomod))
	wanted := map[string][]string{
		"sigs.k8s.io/gateway-api": {"config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",
			"config/crd/standard/gateway.networking.k8s.io_gateways.yaml", "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
			"config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml"},
		"sigs.k8s.io/gateway-api-inference-extension": {"config/crd/bases/*.yaml"},
		"sigs.k8s.io/lws": {"config/crd/bases/leaderworkerset.x-k8s.io_leaderworkersets.yaml"},
	}
	var crds []string
	for _, r := range gomod.Require {
		patterns, ok := wanted[r.Path]
		if !ok {
			continue
		}
		modDir := moduleDir(t, r.Path+"@"+r.Version)
		for _, p := range patterns {
			matches, _ := filepath.Glob(filepath.Join(modDir, p))
			require.NotEmpty(t, matches, "%s@%s has no %s", r.Path, r.Version, p)
			crds = append(crds, matches...)
		}
		delete(wanted, r.Path)
	}
	delete(wanted, "sigs.k8s.io/lws") // not every KServe release requires it
	require.Empty(t, wanted, "KServe's go.mod no longer requires these modules")
	return crds
}

func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	require.NoError(t, err, "cannot fetch %s from the Go module proxy: %s", module, out)
	var mod struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &mod))
	return mod.Dir
}

// withConversionWebhook writes a copy of a CRD that serves several versions with its
// conversion webhook pointed at the local controller, as cert-manager and KServe's
// kustomization do in a cluster, and returns the copy's path.
func withConversionWebhook(t *testing.T, path, url string, caPEM []byte, dir string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var crd map[string]any
	require.NoError(t, yaml.Unmarshal(b, &crd))
	spec := crd["spec"].(map[string]any)
	if len(spec["versions"].([]any)) < 2 {
		return path
	}
	spec["conversion"] = map[string]any{
		"strategy": "Webhook",
		"webhook": map[string]any{
			"clientConfig":             map[string]any{"url": url + "/convert", "caBundle": base64.StdEncoding.EncodeToString(caPEM)},
			"conversionReviewVersions": []string{"v1", "v1beta1"},
		},
	}
	out, err := yaml.Marshal(crd)
	require.NoError(t, err)
	copyPath := filepath.Join(dir, filepath.Base(path))
	require.NoError(t, os.WriteFile(copyPath, out, 0o600))
	return copyPath
}

// webhookConfigurations returns KServe's LLMInferenceService webhook configurations with
// each service reference replaced by the local controller's URL.
func webhookConfigurations(t *testing.T, kserve, url string, caPEM []byte) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(kserve, "config", "webhook", "llmisvc", "manifests.yaml"))
	require.NoError(t, err)
	var out []string
	for _, doc := range strings.Split(string(b), "\n---") {
		var obj map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(doc), &obj))
		if obj == nil {
			continue
		}
		for _, w := range obj["webhooks"].([]any) {
			webhook := w.(map[string]any)
			cc := webhook["clientConfig"].(map[string]any)
			path := cc["service"].(map[string]any)["path"].(string)
			webhook["clientConfig"] = map[string]any{"url": url + path, "caBundle": base64.StdEncoding.EncodeToString(caPEM)}
		}
		y, err := yaml.Marshal(obj)
		require.NoError(t, err)
		out = append(out, string(y))
	}
	require.NotEmpty(t, out)
	return strings.Join(out, "---\n")
}

// inferenceServiceConfig returns KServe's own inferenceservice-config with Gateway API on,
// the MaaS gateway as the ingress gateway (what KServe v0.16 routes to when a service names
// no gateway) and enableLLMInferenceServiceTLS set to tls.
func inferenceServiceConfig(t *testing.T, kserve string, tls bool) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(kserve, "config", "configmap", "inferenceservice.yaml"))
	require.NoError(t, err)
	var cm map[string]any
	require.NoError(t, yaml.Unmarshal(b, &cm))
	data := cm["data"].(map[string]any)
	var ingress map[string]any
	require.NoError(t, json.Unmarshal([]byte(data["ingress"].(string)), &ingress))
	ingress["enableGatewayApi"] = true
	ingress["kserveIngressGateway"] = maasGateway.namespace + "/" + maasGateway.name
	ingress["enableLLMInferenceServiceTLS"] = tls
	j, err := json.Marshal(ingress)
	require.NoError(t, err)
	data["ingress"] = string(j)
	delete(data, "_example")
	cm["metadata"] = map[string]any{"name": "inferenceservice-config", "namespace": controllerNamespace}
	out, err := yaml.Marshal(cm)
	require.NoError(t, err)
	return string(out)
}

var gatewayManifest = fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: openshift-default}
spec: {controllerName: openshift.io/gateway-controller/v1}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: %s, namespace: %s}
spec:
  gatewayClassName: openshift-default
  listeners:
  - {name: https, port: 443, protocol: HTTPS, allowedRoutes: {namespaces: {from: All}}, tls: {certificateRefs: [{name: maas-tls}]}}
`, maasGateway.name, maasGateway.namespace)

// writeWebhookCerts writes a CA-signed serving certificate for 127.0.0.1 where
// controller-runtime's webhook server reads it, and returns the CA's PEM.
func writeWebhookCerts(t *testing.T, dir string) []byte {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "conformance-ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// getJSON reads objects with kubectl into v.
func (c *kserveCluster) getJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := c.mustKubectl(t, "", append([]string{"get", "-o", "json"}, args...)...)
	require.NoError(t, json.NewDecoder(bytes.NewReader([]byte(out))).Decode(v))
}
