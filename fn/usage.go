package main

import (
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// usage is the --help text; the provider list comes from the registry.
func usage() string {
	return `llamastack-integration: a KRM function that serves external LLM providers through Llama Stack
as a KServe LLMInferenceService behind the Models-as-a-Service gateway.

Usage:
  llamastack-integration < resourcelist.yaml        as a kustomize/kpt exec function
  llamastack-integration CONFIG [INPUT...|-]        standalone: functionConfig file, then resources
  llamastack-integration --version | --help

functionConfig (apiVersion llamastack.opendatahub.io/v1alpha1, kind LlamastackIntegration):
  spec.provider            required (or spec.providers); one of:
                           ` + strings.Join(providers.Names(), ", ") + `
  spec.model               default: the provider's default model
  spec.apiKeySecret.name   default: <provider>-<provider>-api-key
  spec.apiKeySecret.key    default: api-key
  spec.settings            the provider's plain settings by variable name (AZURE_API_BASE, VLLM_URL, ...)
  spec.providers           several providers in one service: [{provider, model, apiKeySecret, settings}]
  spec.gateway.name        default: maas-default-gateway
  spec.gateway.namespace   default: openshift-ingress
  spec.tiers               legacy MaaS tiers annotation; [] = all tiers; absent = none
  spec.maas                current MaaS objects: modelRef, authPolicy, subscription
  spec.networkPolicy       {} generates a NetworkPolicy for the service's pods
  spec.target.name         default: every LLMInferenceService in the input
  spec.target.namespace
  spec.image               default: the base's image, else a pinned starter-distribution release
  spec.modelURI            default: the base's spec.model.uri, else hf://llamastack-integration/no-weights
  spec.skipModelDownload   true sets spec.storageInitializer.enabled=false (KServe v0.17+)

A v1 ConfigMap functionConfig takes the single-provider settings as data keys named by their
paths (provider, model, apiKeySecret.name, settings.OLLAMA_URL, tiers=free,premium, ...):
  kpt fn eval --exec llamastack-integration -- provider=openai model=gpt-4o
`
}
