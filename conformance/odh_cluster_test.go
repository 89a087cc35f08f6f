package conformance

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testport"
	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// odhFork is Open Data Hub's fork of KServe as ODH 3.5 ships it. It is not on the Go module
// proxy (its module path is github.com/kserve/kserve), so its unmodified source is read from
// ../shared/reference; the tests extract it at test time and copy nothing of it.
var odhFork = struct{ tarball, version, namespace string }{
	tarball: filepath.Join("shared", "reference", "odh-kserve", "kserve-odh-v3.5.tar.gz"),
	version: "odh-v3.5",
	// where ODH's config/overlays/odh puts the controller, inferenceservice-config and presets
	namespace: "opendatahub",
}

// authPolicyCRD is Kuadrant's AuthPolicy: without it, ODH's controller deletes the HTTPRoute
// of every LLMInferenceService whose auth is on.
const authPolicyCRD = "authpolicies.kuadrant.io"

// odhCRDs are the CRDs of ODH's code path that the upstream suite does not install, each read
// from a module on the Go module proxy. goMod names the requirement of the fork's go.mod whose
// version is used; version pins a module the fork does not require.
var odhCRDs = []struct{ name, module, goMod, version, file string }{
	{name: "destinationrules.networking.istio.io", module: "istio.io/api", goMod: "istio.io/api",
		file: "kubernetes/customresourcedefinitions.gen.yaml"},
	{name: "podmonitors.monitoring.coreos.com", module: "github.com/prometheus-operator/prometheus-operator",
		goMod: "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring",
		file:  "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml"},
	{name: "servicemonitors.monitoring.coreos.com", module: "github.com/prometheus-operator/prometheus-operator",
		goMod: "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring",
		file:  "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"},
	// v1.2.0 is the newest kuadrant-operator release the module proxy serves (v1.2.1 and the
	// v1.3 releases answer "not available"); its AuthPolicy is kuadrant.io/v1, the version the
	// fork looks for.
	{name: authPolicyCRD, module: "github.com/kuadrant/kuadrant-operator", version: "v1.2.0",
		file: "config/crd/bases/kuadrant.io_authpolicies.yaml"},
}

// odhCluster is a kserveCluster that runs ODH's controller; ca signed the service-ca key
// that the controller signs workload certificates with.
type odhCluster struct {
	*kserveCluster
	ca *x509.Certificate
}

// odhSource extracts the fork's tarball and returns its folder, or skips, saying so, where
// ../shared/reference lacks it.
func odhSource(t *testing.T) (tarball, dir string) {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	tarball = filepath.Join(filepath.Dir(root), odhFork.tarball)
	if _, err := os.Stat(tarball); err != nil {
		testskip.Skip(t, "ODH's KServe fork in the controller suite: its source (../"+odhFork.tarball+", not on the Go module proxy) is absent")
	}
	tmp := t.TempDir()
	out, err := exec.Command("tar", "-xzf", tarball, "-C", tmp).CombinedOutput()
	require.NoError(t, err, "tar: %s", out)
	dirs, _ := filepath.Glob(filepath.Join(tmp, "*", "cmd", "llmisvc"))
	require.Len(t, dirs, 1, "%s holds one folder with cmd/llmisvc", tarball)
	return tarball, filepath.Dir(filepath.Dir(dirs[0]))
}

// startODH starts an API server and ODH's controller, built by scripts/odh-controller.sh as
// ODH builds it (-tags distro), with ODH's own inferenceservice-config and presets and what
// its code path needs: the service-ca signing key and the CRDs of odhCRDs except those named
// in without.
func startODH(t *testing.T, without ...string) *odhCluster {
	t.Helper()
	tarball, dir := odhSource(t)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	build := exec.Command(filepath.Join(root, "scripts", "odh-controller.sh"), tarball)
	build.Stderr = os.Stderr
	out, err := build.Output()
	require.NoError(t, err, "cannot build ODH's controller (scripts/odh-controller.sh)")
	controller := strings.TrimSpace(string(out))
	config, presets := odhManifests(t, root, dir)

	c := &odhCluster{kserveCluster: &kserveCluster{apiServer: startAPIServer(t), version: odhFork.version, tls: true}}
	tmp := t.TempDir()
	port := testport.Free(t)
	caPEM := writeWebhookCerts(t, filepath.Join(tmp, "k8s-webhook-server", "serving-certs"))
	webhookURL := fmt.Sprintf("https://127.0.0.1:%d", port)
	for _, crd := range append(kserveDependencyCRDs(t, dir), odhDependencyCRDs(t, dir, tmp, without)...) {
		c.installCRD(t, crd)
	}
	llmCRDs, _ := filepath.Glob(filepath.Join(dir, "config", "crd", "full", "llmisvc", "serving.kserve.io_*.yaml"))
	require.Len(t, llmCRDs, 2, "the fork's LLMInferenceService and LLMInferenceServiceConfig CRDs")
	for _, crd := range llmCRDs {
		c.installCRD(t, withConversionWebhook(t, crd, webhookURL, caPEM, tmp))
	}
	c.mustKubectl(t, webhookConfigurations(t, dir, webhookURL, caPEM), "apply", "-f", "-")
	for _, ns := range []string{odhFork.namespace, maasGateway.namespace, "openshift-service-ca"} {
		c.createNamespace(t, ns)
	}
	var signingKey string
	c.ca, signingKey = serviceCASigningKey(t)
	c.mustKubectl(t, signingKey, "apply", "-f", "-")
	c.mustKubectl(t, config, "apply", "--server-side", "-f", "-")
	c.mustKubectl(t, gatewayManifest, "apply", "-f", "-")

	c.log = filepath.Join(tmp, "controller.log")
	cmd := exec.Command(controller, "--webhook-port", fmt.Sprint(port), "--metrics-addr", "0", "--health-probe-addr", "0")
	cmd.Env = append(withoutPrefix(os.Environ(), "KUBECONFIG="), "KUBECONFIG="+c.kubeconfig, "TMPDIR="+tmp, "POD_NAMESPACE="+odhFork.namespace)
	c.start(t, cmd, c.log)
	c.waitForWebhooks(t, port)
	// The presets go through the controller's validating webhook, which proves it serves.
	c.mustKubectl(t, presets, "apply", "--server-side", "-f", "-")
	return c
}

// odhDependencyCRDs writes each CRD of odhCRDs not named in without into dir and returns
// their paths.
func odhDependencyCRDs(t *testing.T, fork, dir string, without []string) []string {
	t.Helper()
	out, err := exec.Command("go", "mod", "edit", "-json", filepath.Join(fork, "go.mod")).Output()
	require.NoError(t, err)
	var gomod struct {
		Require []struct{ Path, Version string }
	}
	require.NoError(t, json.Unmarshal(out, &gomod))
	required := map[string]string{}
	for _, r := range gomod.Require {
		required[r.Path] = r.Version
	}
	var paths []string
	for _, crd := range odhCRDs {
		if slices.Contains(without, crd.name) {
			continue
		}
		version := crd.version
		if crd.goMod != "" {
			version = required[crd.goMod]
			require.NotEmpty(t, version, "the fork's go.mod no longer requires %s", crd.goMod)
		}
		doc := crdDocument(t, filepath.Join(moduleDir(t, crd.module+"@"+version), crd.file), crd.name)
		path := filepath.Join(dir, crd.name+".yaml")
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
		paths = append(paths, path)
	}
	return paths
}

// crdDocument returns the document of file (one CRD or several) that defines the CRD name.
func crdDocument(t *testing.T, file, name string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	for _, doc := range strings.Split(string(b), "\n---") {
		var crd struct {
			Kind     string
			Metadata struct{ Name string }
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &crd))
		if crd.Kind == "CustomResourceDefinition" && crd.Metadata.Name == name {
			return doc
		}
	}
	t.Fatalf("%s defines no CRD %s", file, name)
	return ""
}

// odhManifests builds the fork's config/overlays/odh with the pinned kustomize (v5.8; kubectl's
// v5.7.1 cannot) and returns its inferenceservice-config and its LLMInferenceServiceConfig
// presets, as YAML streams.
func odhManifests(t *testing.T, root, fork string) (config, presets string) {
	t.Helper()
	kustomize := filepath.Join(root, "bin", "kustomize")
	_, err := os.Stat(kustomize)
	require.NoError(t, err, "the ODH variant needs the pinned kustomize: run make build")
	cmd := exec.Command(kustomize, "build", filepath.Join(fork, "config", "overlays", "odh"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "kustomize build config/overlays/odh: %s", stderr.String())
	var configs, presetDocs []string
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var obj struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &obj))
		switch {
		case obj.Kind == "ConfigMap" && obj.Metadata.Name == "inferenceservice-config":
			configs = append(configs, doc)
		case obj.Kind == "LLMInferenceServiceConfig":
			presetDocs = append(presetDocs, doc)
		default:
			continue
		}
		require.Equal(t, odhFork.namespace, obj.Metadata.Namespace, "%s %s", obj.Kind, obj.Metadata.Name)
	}
	require.Len(t, configs, 1, "config/overlays/odh's inferenceservice-config")
	require.NotEmpty(t, presetDocs, "config/overlays/odh's presets")
	return configs[0], strings.Join(presetDocs, "\n---\n")
}

// serviceCASigningKey makes a CA as OpenShift's service-ca operator does (RSA, PKCS#1) and
// returns it with its Secret openshift-service-ca/signing-key, where ODH's controller reads
// the key that signs workload certificates.
func serviceCASigningKey(t *testing.T) (*x509.Certificate, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openshift-service-serving-signer@conformance"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	secret, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
		"metadata": map[string]string{"name": "signing-key", "namespace": "openshift-service-ca"},
		"data": map[string][]byte{
			"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			"tls.key": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		},
	})
	require.NoError(t, err)
	return ca, string(secret)
}
