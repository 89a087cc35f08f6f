package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// patchedOverlay is the gemini overlay plus the patches users commonly write against
// deploy/base, in the same kustomization as the function: a JSON patch that adds
// /spec/model/name and appends an env var and a mount, and a strategic-merge patch. kustomize
// applies them before the function runs, so they need the fields in the base.
const patchedOverlay = `namespace: llm
namePrefix: gemini-
resources:
  - ../../base
patches:
  - target: {kind: LLMInferenceService, name: llamastack}
    patch: |-
      - op: add
        path: /spec/model/name
        value: MODEL
      - op: replace
        path: /spec/model/uri
        value: hf://llamastack-integration/no-weights
      - op: add
        path: /spec/template/containers/0/env/-
        value: {name: LOG_LEVEL, value: debug}
      - op: add
        path: /spec/template/containers/0/volumeMounts/-
        value: {name: cache, mountPath: /cache}
      - op: add
        path: /spec/template/volumes
        value: [{name: cache, emptyDir: {}}]
  - patch: |-
      apiVersion: serving.kserve.io/v1alpha1
      kind: LLMInferenceService
      metadata: {name: llamastack}
      spec:
        replicas: 1
        model: {name: MODEL}
transformers:
  - llamastack-integration.yaml
`

// TestUserPatchesApply renders patchedOverlay with the pinned kustomize: the patches apply to
// deploy/base, the function then owns spec.model.name (the functionConfig's model; a patch
// that names another is replaced, with a warning), and keeps the rest of the patches.
func TestUserPatchesApply(t *testing.T) {
	for _, tc := range []struct{ name, model, warning string }{
		{"the functionConfig's model", "gemini-2.0-flash", ""},
		{"another model", "gemini-2.5-pro", "llamastack-integration: warning: LLMInferenceService llm/gemini-llamastack: spec.model.name: was gemini-2.5-pro in the input; replaced by gemini-2.0-flash from spec.model\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := copyOverlay(t, "gemini")
			dir := filepath.Join(tmp, "deploy", "overlays", "patched")
			require.NoError(t, os.Mkdir(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(strings.ReplaceAll(patchedOverlay, "MODEL", tc.model)), 0o644))
			config := readFile(t, filepath.Join(tmp, "deploy", "overlays", "gemini", "llamastack-integration.yaml"))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "llamastack-integration.yaml"), []byte(config), 0o644))

			out, stderr, err := run(t, root, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
			require.NoError(t, err, stderr)
			require.Regexp(t, `^`+tc.warning+`llamastack-integration: LLMInferenceService llm/gemini-llamastack: configured for gemini model gemini-2.0-flash: [0-9]+ changes; generated MaaSModelRef llm/gemini-llamastack, ConfigMap llm/gemini-llamastack-program-[0-9a-f]{10}, ConfigMap llm/gemini-llamastack-startup-[0-9a-f]{10}\n$`, stderr)
			for _, want := range []string{"name: gemini-2.0-flash", "name: LOG_LEVEL", "mountPath: /cache", "replicas: 1"} {
				require.Contains(t, out, want)
			}
			require.NotContains(t, out, "set-by-llamastack-integration", "the function replaces the base's placeholder")
			if tc.warning == "" {
				golden(t, filepath.Join(root, "testdata", "e2e", "user-patches.yaml"), out)
			}
		})
	}
}
