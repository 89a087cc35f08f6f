package maas

import "strings"

// EnableAuthAnnotation is Open Data Hub's switch for a service's route authentication.
// ODH's KServe reads every value but "false" (any case) as on: it then requires Kuadrant's
// AuthPolicy CRD and deletes the route without it (odh-v3.5,
// pkg/apis/serving/v1alpha2/llm_inference_service_types_func_odh.go and
// pkg/controller/v1alpha2/llmisvc/router_preconditions_odh.go). odh-model-controller puts an
// anonymous AuthPolicy on the route for "false" only (odh-v3.5-EA2,
// internal/controller/resources/authpolicy.go).
const EnableAuthAnnotation = "security.opendatahub.io/enable-auth"

// EnableAuth is the value MaaS asks of the services it governs, so that no anonymous
// AuthPolicy conflicts with its MaaSAuthPolicy.
const EnableAuth = "true"

// AuthOff reports whether ODH reads value as auth off.
func AuthOff(value string) bool {
	return strings.EqualFold(strings.TrimSpace(value), "false")
}

// AuthEffect says what ODH does with a value of the annotation other than EnableAuth.
func AuthEffect(value string) string {
	if AuthOff(value) {
		return "ODH then puts an anonymous AuthPolicy on the model's route, which conflicts with the MaaSAuthPolicy that governs the model (MaaS reports ConflictingAuthPolicy)"
	}
	return `ODH reads every value but "false" as "true", so authentication stays on`
}
