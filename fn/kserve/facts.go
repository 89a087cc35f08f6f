package kserve

// What every KServe release that serves LLMInferenceService expects of a model server
// (config/llmisvcconfig presets and pkg/controller/.../llmisvc at the release tags).
const (
	// MainContainer is the only container name KServe treats as the model server: a
	// container with another name is added next to the vLLM preset's `main`.
	MainContainer = "main"
	// Port is where KServe's Service, InferencePool and probes expect the model server.
	Port = 8000
	// TLSVolume and TLSMountPath are where KServe (v0.17+) mounts each workload's serving
	// certificate; the mount is repeated by the function because v0.16 mounts it at
	// /etc/ssl/certs.
	TLSVolume    = "tls-certs"
	TLSMountPath = "/var/run/kserve/tls"
)

// Probes are the container probes KServe's presets define; each must end up as one httpGet
// handler on the server's health endpoint.
var Probes = []string{"startupProbe", "livenessProbe", "readinessProbe"}

// OtherProbeHandlers cannot be combined with httpGet: KServe merges the preset's httpGet into
// the probe, and a probe with two handlers is rejected.
var OtherProbeHandlers = []string{"exec", "tcpSocket", "grpc"}
