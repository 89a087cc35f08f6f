package maas

import (
	"encoding/json"
	"strconv"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
)

// The MaaSModelRef annotations maas-api returns as a model's details in its model listing
// (models-as-a-service c0639b1b, maas-api/internal/constant/const.go), besides the display
// name and description.
const (
	GenAIUseCaseAnnotation      = "opendatahub.io/genai-use-case"
	ContextWindowAnnotation     = "opendatahub.io/context-window"
	ModelCapabilitiesAnnotation = "opendatahub.io/model-capabilities"
)

// Details are the values of those annotations; "" writes none.
type Details struct {
	GenAIUseCase, ContextWindow, ModelCapabilities string
}

// ModelDetails are the annotations' values for ref, with defaultContextWindow (what the
// provider documents for the served model, 0 for nothing) where ref sets none. maas-api reads
// the context window as a string and the capabilities as a JSON array of strings.
func ModelDetails(ref v1alpha1.MaaSModelRef, defaultContextWindow int64) Details {
	d := Details{GenAIUseCase: ref.GenAIUseCase}
	window := defaultContextWindow
	if ref.ContextWindow != nil {
		window = *ref.ContextWindow
	}
	if window > 0 {
		d.ContextWindow = strconv.FormatInt(window, 10)
	}
	if len(ref.ModelCapabilities) > 0 {
		b, _ := json.Marshal(ref.ModelCapabilities) // a list of strings always encodes
		d.ModelCapabilities = string(b)
	}
	return d
}
