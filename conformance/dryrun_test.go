package conformance

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

// TestServerSideDryRun installs the KServe LLMInferenceService CRD of each supported
// release (and the MaaS CRDs) in a real kube-apiserver and server-side dry-runs every
// rendered overlay, kpt output and golden output against it.
func TestServerSideDryRun(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	// The committed outputs are for the default release, v0.20; v0.16 needs the output of
	// kserveVersion: v0.16, rendered here from every overlay and example.
	byVersion := map[string][]manifest{"v0.20.0": renderedManifests(t, root, "")}
	for _, v := range controllerVariants {
		if v.version == "v0.16.0" {
			byVersion[v.version] = append(variantManifests(t, v), renderedManifests(t, root, "kserveVersion: v0.16")...)
		}
	}

	for _, version := range kserveVersions {
		manifests := byVersion[version]
		t.Run(version, func(t *testing.T) {
			s := startAPIServer(t)
			s.installCRD(t, filepath.Join(kserveDir(t, version), "config", "crd", "full", "llmisvc", "serving.kserve.io_llminferenceservices.yaml"))
			maasInstalled := installMaaSCRDs(t, s, root)

			namespaces := map[string]bool{"default": true}
			for _, m := range manifests {
				for _, ns := range m.namespaces {
					namespaces[ns] = true
				}
			}
			for ns := range namespaces {
				if ns != "default" {
					s.mustKubectl(t, "", "create", "namespace", ns)
				}
			}

			// The harness must be able to fail: a manifest KServe's schema rejects.
			out, err := s.kubectl(t, brokenManifest, "apply", "--server-side", "--dry-run=server", "-f", "-")
			require.Error(t, err, "a broken LLMInferenceService must be rejected; got: %s", out)
			require.Contains(t, out, "spec.model.uri: Required value")
			require.Contains(t, out, "spec.router.gateway.refs[0].namespace")
			if maasInstalled {
				out, err := s.kubectl(t, brokenMaaS, "apply", "--server-side", "--dry-run=server", "-f", "-")
				require.Error(t, err, "a broken MaaSSubscription must be rejected; got: %s", out)
				require.Contains(t, out, "spec.modelRefs[0].tokenRateLimits[0].window")
			}

			for _, m := range manifests {
				t.Run(m.name, func(t *testing.T) {
					if m.maas && !maasInstalled {
						testskip.Skip(t, "the server-side dry-run of renders with MaaS objects: the MaaS CRDs (../shared/reference/maas-crds, upstream files not on the Go module proxy) are absent")
					}
					out, err := s.kubectl(t, m.yaml, "apply", "--server-side", "--dry-run=server", "--field-manager", "conformance", "-f", "-")
					if want, rejected := expectedRejections[version][m.name]; rejected {
						require.Error(t, err, "%s should be rejected by KServe %s (%s)", m.name, version, want)
						require.Contains(t, out, want)
						return
					}
					require.NoError(t, err, "the API server rejects %s:\n%s", m.name, out)
					require.Contains(t, out, "serverside-applied (server dry run)")
				})
			}
		})
	}
}

// expectedRejections are the documented cases a KServe release refuses, with the reason.
var expectedRejections = map[string]map[string]string{}

const brokenMaaS = `apiVersion: maas.opendatahub.io/v1alpha1
kind: MaaSSubscription
metadata: {name: broken, namespace: default}
spec:
  owner: {groups: [{name: team}]}
  modelRefs:
  - {name: m, namespace: default, tokenRateLimits: [{limit: 10, window: 90d}]}
`

const brokenManifest = `apiVersion: serving.kserve.io/v1alpha1
kind: LLMInferenceService
metadata: {name: broken}
spec:
  model: {name: no-uri}
  router:
    gateway:
      refs: [{name: maas-default-gateway, namespace: Not_A_Namespace}]
`

type manifest struct {
	name       string
	yaml       string
	namespaces []string
	// maas says the manifest holds MaaS objects, which need the MaaS CRDs.
	maas bool
}

// renderedManifests collects the outputs the function's tests pin for one KServe release:
// with release "", the overlays and kpt outputs in testdata/e2e and the items of every
// successful golden case whose functionConfig names no release; else the golden cases whose
// functionConfig contains release (for example "kserveVersion: v0.16").
func renderedManifests(t *testing.T, root, release string) []manifest {
	t.Helper()
	var out []manifest
	if release == "" {
		e2e, err := filepath.Glob(filepath.Join(root, "testdata", "e2e", "*.yaml"))
		require.NoError(t, err)
		for _, path := range e2e {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			out = append(out, newManifest(t, "e2e/"+strings.TrimSuffix(filepath.Base(path), ".yaml"), string(b)))
		}
	}
	golden, err := filepath.Glob(filepath.Join(root, "fn", "processor", "testdata", "*", "expected.yaml"))
	require.NoError(t, err)
	for _, path := range golden {
		name := filepath.Base(filepath.Dir(path))
		input, err := os.ReadFile(filepath.Join(filepath.Dir(path), "input.yaml"))
		require.NoError(t, err)
		forRelease := strings.Contains(string(input), "kserveVersion:")
		// Cases of YAML anchors pass aliases through items the function does not change (an
		// alias bomb among them): applied item by item, as kubectl would, they would be expanded.
		if yamlAnchor.Match(input) {
			continue
		}
		if strings.HasPrefix(name, "err-") || forRelease != (release != "") || (release != "" && !strings.Contains(string(input), release)) {
			continue
		}
		f, err := os.Open(path)
		require.NoError(t, err)
		items, err := (&kio.ByteReader{Reader: f, OmitReaderAnnotations: true}).Read()
		f.Close()
		require.NoError(t, err)
		var b strings.Builder
		require.NoError(t, kio.ByteWriter{Writer: &b, ClearAnnotations: []string{
			"internal.config.kubernetes.io/previousNames", "internal.config.kubernetes.io/previousNamespaces",
			"internal.config.kubernetes.io/previousKinds",
		}}.Write(items))
		out = append(out, newManifest(t, "golden/"+name, b.String()))
	}
	require.NotEmpty(t, out)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// yamlAnchor finds a YAML anchor (&name) in a case's input.
var yamlAnchor = regexp.MustCompile(`(?m)[:\-] &[A-Za-z0-9_]+[ \n]`)

// variantManifests renders every overlay and example for a controller variant.
func variantManifests(t *testing.T, v controllerVariant) []manifest {
	t.Helper()
	var out []manifest
	for source, objects := range renderedForVariant(t, v) {
		var b strings.Builder
		require.NoError(t, kio.ByteWriter{Writer: &b}.Write(objects))
		out = append(out, newManifest(t, "e2e/"+source, b.String()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func newManifest(t *testing.T, name, yaml string) manifest {
	t.Helper()
	items, err := (&kio.ByteReader{Reader: strings.NewReader(yaml), OmitReaderAnnotations: true}).Read()
	require.NoError(t, err)
	m := manifest{name: name, yaml: yaml}
	for _, item := range items {
		if ns := item.GetNamespace(); ns != "" {
			m.namespaces = append(m.namespaces, ns)
		}
		if strings.HasPrefix(item.GetApiVersion(), "maas.opendatahub.io/") {
			m.maas = true
		}
	}
	return m
}

// installMaaSCRDs installs the MaaS CRDs from ../shared/reference/maas-crds and reports
// whether it could; without them the MaaS golden cases are skipped, saying so.
func installMaaSCRDs(t *testing.T, s *apiServer, root string) bool {
	t.Helper()
	dir := filepath.Join(filepath.Dir(root), "shared", "reference", "maas-crds")
	crds, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(crds) == 0 {
		t.Logf("MaaS CRDs not found in %s: outputs with MaaS objects are not checked", dir)
		return false
	}
	for _, crd := range crds {
		s.installCRD(t, crd)
	}
	return true
}
