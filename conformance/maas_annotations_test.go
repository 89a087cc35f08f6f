package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/llamastack-integration/llamastack-integration/fn/maas"
	"github.com/llamastack-integration/llamastack-integration/internal/testskip"
)

// TestMaaSAnnotationsOnTheAPIServer applies catalogue outputs for real to a kube-apiserver
// with MaaS's own CRDs and KServe's, reads the objects back and checks them as their readers
// do: the MaaSModelRef's model details as maas-api parses them (models-as-a-service c0639b1b,
// maas-api/internal/models/maasmodelref.go: strings, the capabilities a JSON array of
// strings), and the LLMInferenceService's enable-auth as ODH's controllers read it.
func TestMaaSAnnotationsOnTheAPIServer(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	s := startAPIServer(t)
	s.installCRD(t, filepath.Join(kserveDir(t, "v0.20.0"), "config", "crd", "full", "llmisvc", "serving.kserve.io_llminferenceservices.yaml"))
	if !installMaaSCRDs(t, s, root) {
		testskip.Skip(t, "the model details and enable-auth on a real API server: the MaaS CRDs (../shared/reference/maas-crds, upstream files not on the Go module proxy) are absent")
	}
	for _, ns := range []string{"llm", "models-as-a-service"} {
		s.mustKubectl(t, "", "create", "namespace", ns)
	}
	for _, tc := range []struct {
		golden, enableAuth, useCase, contextWindow string
		capabilities                               []string
	}{
		{golden: "maas-model-details", enableAuth: "true", useCase: "chat", contextWindow: "128000", capabilities: []string{"text-generation", "tool-calling"}},
		// The provider's documented context window of its default model.
		{golden: "maas-objects", enableAuth: "true", contextWindow: "1048576"},
		{golden: "maas-model-details-no-default", enableAuth: "true"},
		{golden: "maas-enable-auth-user-value-kept", enableAuth: "false", contextWindow: "1048576"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			manifest := caseItems(t, filepath.Join(root, "fn", "processor", "testdata", tc.golden, "expected.yaml"))
			s.mustKubectl(t, manifest, "apply", "--server-side", "--field-manager", "conformance", "-f", "-")
			t.Cleanup(func() { s.mustKubectl(t, manifest, "delete", "--wait=false", "-f", "-") })

			var ref struct {
				Metadata struct{ Annotations map[string]string } `json:"metadata"`
			}
			require.NoError(t, json.Unmarshal([]byte(s.mustKubectl(t, "", "get", "maasmodelref", "llamastack", "-n", "llm", "-o", "json")), &ref))
			a := ref.Metadata.Annotations
			require.NotEmpty(t, a[maas.DisplayNameAnnotation])
			require.NotEmpty(t, a[maas.DescriptionAnnotation])
			require.Equal(t, tc.useCase, a[maas.GenAIUseCaseAnnotation])
			require.Equal(t, tc.contextWindow, a[maas.ContextWindowAnnotation])
			if tc.contextWindow != "" {
				n, err := strconv.ParseInt(a[maas.ContextWindowAnnotation], 10, 64)
				require.NoError(t, err)
				require.Positive(t, n)
			}
			raw, set := a[maas.ModelCapabilitiesAnnotation]
			require.Equal(t, tc.capabilities != nil, set)
			if set {
				var capabilities []string
				require.NoError(t, json.Unmarshal([]byte(raw), &capabilities), "maas-api drops capabilities it cannot parse")
				require.Equal(t, tc.capabilities, capabilities)
			}
			got := s.mustKubectl(t, "", "get", "llminferenceservice", "llamastack", "-n", "llm", "-o", `jsonpath={.metadata.annotations.security\.opendatahub\.io/enable-auth}`)
			require.Equal(t, tc.enableAuth, got)
		})
	}
}

// caseItems is the items of a golden output as a kubectl manifest.
func caseItems(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	items, err := (&kio.ByteReader{Reader: f, OmitReaderAnnotations: true}).Read()
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, kio.ByteWriter{Writer: &b}.Write(items))
	return b.String()
}
