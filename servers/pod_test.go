package servers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testport"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/processor"
)

// configMaps are the rendered ConfigMaps' data, by name.
type configMaps map[string]map[string]string

// render runs the function on deploy/base with the functionConfig spec (YAML, indented as
// under spec:) and returns the rendered service and its ConfigMaps (the program's and the
// start-up's).
func render(t *testing.T, spec string) (service *yaml.RNode, generated configMaps) {
	t.Helper()
	base, err := os.ReadFile(filepath.Join("..", "deploy", "base", "llminferenceservice.yaml"))
	require.NoError(t, err)
	input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " +
		strings.ReplaceAll(strings.TrimSpace(string(base)), "\n", "\n  ") +
		"\nfunctionConfig:\n  apiVersion: llamastack.opendatahub.io/v1alpha1\n  kind: LlamastackIntegration\n  metadata: {name: servers}\n  spec:\n" + spec
	input = strings.Replace(input, "metadata:\n    name: llamastack", "metadata:\n    name: llamastack\n    namespace: llm", 1)
	var out bytes.Buffer
	rw := &kio.ByteReadWriter{Reader: strings.NewReader(input), Writer: &out}
	require.NoError(t, framework.Execute(processor.New(), rw), "the render failed")
	items, err := kio.FromBytes(out.Bytes())
	require.NoError(t, err)
	generated = configMaps{}
	for _, item := range items {
		switch item.GetKind() {
		case "LLMInferenceService":
			service = item
		case "ConfigMap":
			generated[item.GetName()] = item.GetDataMap()
		}
	}
	require.NotNil(t, service)
	require.Len(t, generated, 2, "the program's ConfigMap and the start-up's")
	return service, generated
}

// pod is a rendered main container made runnable: its command, env and mounts, with each
// volume a folder of the test's (the ConfigMap's files, the Secrets' keys, an emptyDir, and
// the certificate KServe would mount at /var/run/kserve/tls).
type pod struct {
	command []string
	env     []string
	mounts  []string
	data    string // the host folder behind the data volume
	port    int    // where the server listens
}

// newPod builds the pod of service: secrets maps Secret name -> key -> value. The one change to
// the render is the port: a free one instead of KServe's 8000 (the settings' port and the
// port variable), so that runs on one machine, two clones' make test say, never meet.
func newPod(t *testing.T, service *yaml.RNode, rendered configMaps, secrets map[string]map[string]string) pod {
	t.Helper()
	port := testport.Free(t)
	generated := configMaps{}
	for name, files := range rendered {
		generated[name] = maps.Clone(files)
		if settings, ok := files["settings.json"]; ok {
			require.Contains(t, settings, fmt.Sprintf(`"port": %d,`, kserve.Port), "the render serves on KServe's port")
			generated[name]["settings.json"] = strings.Replace(settings, fmt.Sprintf(`"port": %d,`, kserve.Port), fmt.Sprintf(`"port": %d,`, port), 1)
		}
	}
	main, err := service.Pipe(yaml.Lookup("spec", "template", "containers", "[name=main]"))
	require.NoError(t, err)
	var container struct {
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Env     []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name, Key string
					Optional  bool
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	require.NoError(t, main.YNode().Decode(&container))
	p := pod{command: append(container.Command, container.Args...), port: port}
	for _, e := range container.Env {
		switch {
		case e.ValueFrom == nil && e.Value == fmt.Sprint(kserve.Port) && strings.HasSuffix(e.Name, "_PORT"):
			p.env = append(p.env, fmt.Sprintf("%s=%d", e.Name, port))
		case e.ValueFrom == nil:
			p.env = append(p.env, e.Name+"="+e.Value)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			value, ok := secrets[ref.Name][ref.Key]
			require.True(t, ok || ref.Optional, "env %s reads Secret %s key %s, which the test does not have", e.Name, ref.Name, ref.Key)
			if ok {
				p.env = append(p.env, e.Name+"="+value)
			}
		}
	}
	volumes := volumeFolders(t, service, generated, secrets)
	for _, m := range container.VolumeMounts {
		dir, ok := volumes[m.Name]
		if !ok && m.Name == "tls-certs" {
			dir = certificate(t)
		}
		require.NotEmpty(t, dir, "volume %s mounted at %s", m.Name, m.MountPath)
		mode := ""
		if m.Name == "llamastack-data" {
			mode, p.data = ":rw", dir
		}
		p.mounts = append(p.mounts, dir+":"+m.MountPath+mode)
	}
	return p
}

// volumeFolders makes a folder for each of service's volumes: the projected ConfigMaps' files,
// the Secrets' keys, an emptyDir.
func volumeFolders(t *testing.T, service *yaml.RNode, generated configMaps, secrets map[string]map[string]string) map[string]string {
	t.Helper()
	list, err := service.Pipe(yaml.Lookup("spec", "template", "volumes"))
	require.NoError(t, err)
	var volumes []struct {
		Name      string `yaml:"name"`
		Projected *struct {
			Sources []struct {
				ConfigMap *struct{ Name string } `yaml:"configMap"`
			} `yaml:"sources"`
		} `yaml:"projected"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
		EmptyDir any `yaml:"emptyDir"`
	}
	require.NoError(t, list.YNode().Decode(&volumes))
	folders := map[string]string{}
	for _, v := range volumes {
		dir := hostDir(t)
		switch {
		case v.Projected != nil:
			for _, source := range v.Projected.Sources {
				if source.ConfigMap == nil {
					continue // a service-account token: the kubelet writes it (here, the test)
				}
				files, ok := generated[source.ConfigMap.Name]
				require.True(t, ok, "volume %s projects ConfigMap %s, which the render does not have", v.Name, source.ConfigMap.Name)
				for key, value := range files {
					writeFile(t, filepath.Join(dir, key), value, 0o644)
				}
			}
		case v.Secret != nil:
			files, ok := secrets[v.Secret.SecretName]
			require.True(t, ok, "volume %s mounts Secret %s, which the test does not have", v.Name, v.Secret.SecretName)
			for key, value := range files {
				writeFile(t, filepath.Join(dir, key), value, 0o644)
			}
		default:
			require.NoError(t, os.Chmod(dir, 0o777)) // an emptyDir: writable by any UID
		}
		folders[v.Name] = dir
	}
	return folders
}

// hostDir is a folder outside /tmp and /opt (the pod gets new ones), readable by any UID.
func hostDir(t *testing.T) string {
	t.Helper()
	require.NoError(t, os.MkdirAll("/var/tmp/llamastack-integration-servers", 0o755))
	dir, err := os.MkdirTemp("/var/tmp/llamastack-integration-servers", "volume-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
	require.NoError(t, os.Chmod(path, mode))
}

// certificate is a folder with a self-signed tls.crt and tls.key for 127.0.0.1, as KServe
// mounts its serving certificate.
func certificate(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "llamastack"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := hostDir(t)
	writeFile(t, filepath.Join(dir, "tls.crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o644)
	writeFile(t, filepath.Join(dir, "tls.key"), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})), 0o644)
	return dir
}
