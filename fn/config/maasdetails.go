package config

import (
	"fmt"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
)

// checkModelDetails checks the model details MaaS shows (spec.maas.modelRef): maas-api
// returns them as they are, so a blank use case or capability, or a context window that is
// not a positive number of tokens, would reach people as nonsense.
func checkModelDetails(path string, ref *v1alpha1.MaaSModelRef) []diag.Problem {
	if ref == nil {
		return nil
	}
	var errs []diag.Problem
	if ref.GenAIUseCase != "" && strings.TrimSpace(ref.GenAIUseCase) == "" {
		errs = append(errs, diag.Problem{Path: path + ".genaiUseCase", Message: "is blank; set a use case such as chat, or remove the field"})
	}
	if w := ref.ContextWindow; w != nil && *w < 1 {
		errs = append(errs, diag.Problem{Path: path + ".contextWindow", Message: fmt.Sprintf("is %d; set the model's context window in tokens (a positive number, for example 128000), or remove the field", *w)})
	}
	for i, c := range ref.ModelCapabilities {
		if strings.TrimSpace(c) == "" {
			errs = append(errs, diag.Problem{Path: fmt.Sprintf("%s.modelCapabilities[%d]", path, i), Message: "is blank; name a capability such as text-generation, or remove the entry"})
		}
	}
	return errs
}
