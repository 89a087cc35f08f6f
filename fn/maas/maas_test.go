package maas

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
)

// TestAuthOff pins how ODH reads the enable-auth annotation: off only for "false", in any
// case and with spaces around it (odh-model-controller trims; KServe's fork does not, but
// reads anything else as on, so the function warns either way).
func TestAuthOff(t *testing.T) {
	for value, off := range map[string]bool{"false": true, "False": true, " FALSE ": true, "true": false, "yes": false, "": false, "0": false} {
		require.Equal(t, off, AuthOff(value), "%q", value)
		require.NotEmpty(t, AuthEffect(value))
	}
}

// TestModelDetails checks the annotation values the way maas-api reads them: the context
// window a number as a string, the capabilities a JSON array of strings.
func TestModelDetails(t *testing.T) {
	window := int64(128000)
	for _, tc := range []struct {
		name          string
		ref           v1alpha1.MaaSModelRef
		defaultWindow int64
		want          Details
	}{
		{"nothing set, nothing documented", v1alpha1.MaaSModelRef{}, 0, Details{}},
		{"the provider's documented window", v1alpha1.MaaSModelRef{}, 1048576, Details{ContextWindow: "1048576"}},
		{"the user's window wins", v1alpha1.MaaSModelRef{ContextWindow: &window}, 1048576, Details{ContextWindow: "128000"}},
		{"every field", v1alpha1.MaaSModelRef{GenAIUseCase: "chat", ContextWindow: &window, ModelCapabilities: []string{"text-generation", `say "hi" <b>`}}, 0,
			Details{GenAIUseCase: "chat", ContextWindow: "128000", ModelCapabilities: `["text-generation","say \"hi\" \u003cb\u003e"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ModelDetails(tc.ref, tc.defaultWindow)
			require.Equal(t, tc.want, got)
			if got.ContextWindow != "" {
				n, err := strconv.ParseInt(got.ContextWindow, 10, 64)
				require.NoError(t, err)
				require.Positive(t, n)
			}
			if got.ModelCapabilities != "" {
				var caps []string
				require.NoError(t, json.Unmarshal([]byte(got.ModelCapabilities), &caps))
				require.Equal(t, tc.ref.ModelCapabilities, caps)
			}
		})
	}
}
