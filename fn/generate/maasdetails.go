package generate

import (
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
)

// modelDetails sets the annotations maas-api returns as the model's details.
func (a *annotations) modelDetails(d maas.Details) {
	a.GenAIUseCase, a.ContextWindow, a.ModelCapabilities = quoted(d.GenAIUseCase), quoted(d.ContextWindow), quoted(d.ModelCapabilities)
}

// defaultContextWindow is what the provider documents for the served model: its default
// model's context window, nothing for another model.
func defaultContextWindow(pc config.ProviderConfig) int64 {
	if pc.Model != pc.Provider.DefaultModel {
		return 0
	}
	return pc.Provider.DefaultModelContextWindow
}
