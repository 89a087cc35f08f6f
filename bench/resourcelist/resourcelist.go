// Package resourcelist generates the benchmark inputs: ResourceLists with a realistic mix
// of an environment's resources (Deployments, Services, ConfigMaps) and a share of
// LLMInferenceServices, as the function sees them in the top overlay of a GitOps repository.
package resourcelist

import (
	"fmt"
	"strings"
)

// Generate returns a ResourceList of n items, 1% of them LLMInferenceServices (at least one),
// with a gemini functionConfig that targets every LLMInferenceService. It is deterministic.
// Every 100th item is a service, and the item's number picks one of 20 namespaces, so all
// services share namespace team-0 and each has a model-name collision warning that names
// every other one: the results grow with the square of the services.
func Generate(n int) []byte {
	return generate(n, 100, func(i int) string { return fmt.Sprintf("team-%d", i%20) })
}

// WithServices is Generate with services LLMInferenceServices in n items, spread evenly,
// five to a namespace: each model-name collision warning names four others, so the output,
// like the input, grows linearly with the services.
func WithServices(n, services int) []byte {
	every := max(1, n/max(1, services))
	return generate(n, every, func(i int) string { return fmt.Sprintf("models-%d", i/every/5) })
}

// generate writes n items, every every-th one an LLMInferenceService in the namespace that
// serviceNamespace gives for its number.
func generate(n, every int, serviceNamespace func(i int) string) []byte {
	var b strings.Builder
	b.Grow(n * 700)
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("team-%d", i%20)
		switch {
		case i%every == 0:
			fmt.Fprintf(&b, llmInferenceService, i, serviceNamespace(i))
		case i%3 == 0:
			fmt.Fprintf(&b, deployment, i, ns, i, i, i, i)
		case i%3 == 1:
			fmt.Fprintf(&b, service, i, ns, i)
		default:
			fmt.Fprintf(&b, configMap, i, ns, i, i)
		}
	}
	b.WriteString(functionConfig)
	return []byte(b.String())
}

const functionConfig = `functionConfig:
  apiVersion: llamastack.opendatahub.io/v1alpha1
  kind: LlamastackIntegration
  metadata:
    name: bench
  spec:
    provider: gemini
    tiers: []
`

const llmInferenceService = `- apiVersion: serving.kserve.io/v1alpha1
  kind: LLMInferenceService
  metadata:
    name: llamastack-%d
    namespace: %s
  spec:
    model:
      uri: hf://llamastack-integration/no-weights
    replicas: 1
    router:
      route: {}
    template:
      containers:
        - name: main
          image: docker.io/llamastack/distribution-starter:0.3.0
          command: ["/bin/sh", "-c"]
          args: ["exec llama stack run starter"]
          env:
            - name: LLAMA_STACK_PORT
              value: "8000"
          resources:
            requests: {cpu: 500m, memory: 1Gi}
`

const deployment = `- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app-%d
    namespace: %s
    labels: {app: app-%d, tier: backend}
  spec:
    replicas: 2 # two for availability
    selector:
      matchLabels: {app: app-%d}
    template:
      metadata:
        labels: {app: app-%d}
      spec:
        containers:
          - name: app
            image: registry.example.com/app:%d
            ports: [{containerPort: 8080}]
            env:
              - {name: LOG_LEVEL, value: info}
            resources:
              requests: {cpu: 100m, memory: 128Mi}
`

const service = `- apiVersion: v1
  kind: Service
  metadata:
    name: svc-%d
    namespace: %s
  spec:
    selector: {app: app-%d}
    ports:
      - {name: http, port: 80, targetPort: 8080}
`

const configMap = `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: config-%d
    namespace: %s
  data:
    settings.yaml: |
      feature: enabled
      replicas: %d
    owner: team-%d
`
