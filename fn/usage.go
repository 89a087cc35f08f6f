package main

import (
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// usage is the --help text. The field reference is generated from the API types' doc
// comments (as the README's table and the JSON Schema are), the provider list from the registry.
func usage() string {
	return `llamastack-integration: a KRM function that serves external LLM providers through Llama Stack
as a KServe LLMInferenceService behind the Models-as-a-Service gateway.

Usage:
  llamastack-integration < resourcelist.yaml        as a kustomize/kpt exec function
  llamastack-integration [--] CONFIG [INPUT...|-]   standalone: functionConfig file, then resources
                                                    (after --, CONFIG may be named like a subcommand)
  llamastack-integration --schema                   the functionConfig's JSON Schema
  llamastack-integration install DIR                copy this binary into DIR (Argo CD init container)
  llamastack-integration --version | --help

Example (standalone): with fn.yaml holding

  apiVersion: llamastack.opendatahub.io/v1alpha1
  kind: LlamastackIntegration
  metadata: {name: openai}
  spec: {provider: openai, model: gpt-4o}

  llamastack-integration fn.yaml deploy/base/llminferenceservice.yaml | kubectl apply --server-side -f -

Exit codes: 0 success (warnings go to stderr); 1 an error in the input or the functionConfig,
one line each on stderr; 2 a usage error, or an internal error.

The functionConfig is a ` + v1alpha1.Kind + ` (apiVersion ` + v1alpha1.APIVersion + `).
Providers: ` + strings.Join(providers.Names(), ", ") + `

Fields:
` + v1alpha1.FieldReference + `
A v1 ConfigMap functionConfig takes the single-provider fields as data keys named by their
paths (provider, model, apiKeySecret.name, settings.OLLAMA_URL, tiers=free,premium, ...):
  kpt fn eval --exec llamastack-integration -- provider=openai model=gpt-4o
`
}
