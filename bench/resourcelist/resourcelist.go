// Package resourcelist generates the benchmark inputs: ResourceLists with a realistic mix
// of an environment's resources (Deployments, Services, ConfigMaps) and 1% LLMInferenceServices,
// as the function sees them in the top overlay of a GitOps repository.
package resourcelist

import (
	"fmt"
	"strings"
)

// Generate returns a ResourceList of n items (at least one LLMInferenceService) with a
// gemini functionConfig that targets every LLMInferenceService. It is deterministic.
func Generate(n int) []byte {
	var b strings.Builder
	b.Grow(n * 700)
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("team-%d", i%20)
		switch {
		case i%100 == 0:
			fmt.Fprintf(&b, llmInferenceService, i, ns)
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
