// Package kserve holds what the function must know of each KServe release line that serves
// LLMInferenceService: one row per minor release, read from that release's source
// (github.com/kserve/kserve at the tag). The conformance suite runs the real controller of
// v0.16 and v0.20 (conformance/controller_test.go).
package kserve

import (
	"slices"
	"strings"
)

// Release is one KServe minor release line, as spec.kserveVersion names it.
type Release struct {
	// Version is the minor release, for example v0.20.
	Version string
	// StorageInitializerField: spec.storageInitializer.enabled exists, so the model
	// download can be switched off (pkg/apis/serving/v1alpha1 LLMInferenceServiceSpec).
	StorageInitializerField bool
	// GatewayRefsWithRoute: the validating webhook accepts spec.router.gateway.refs together
	// with the managed route (v0.16's pkg/controller/v1alpha1/llmisvc/validation rejects it).
	GatewayRefsWithRoute bool
	// TLSFollowsCluster: whether the workload serves HTTPS follows inferenceservice-config's
	// ingress.enableLLMInferenceServiceTLS (the preset's probe scheme and the workload
	// Service's appProtocol). Before, the workload Service is always "https".
	TLSFollowsCluster bool
}

// releases is the table, oldest first. v0.16 is the first release with LLMInferenceService.
var releases = []Release{
	{Version: "v0.16"},
	{Version: "v0.17", StorageInitializerField: true, GatewayRefsWithRoute: true},
	{Version: "v0.18", StorageInitializerField: true, GatewayRefsWithRoute: true, TLSFollowsCluster: true},
	{Version: "v0.19", StorageInitializerField: true, GatewayRefsWithRoute: true, TLSFollowsCluster: true},
	{Version: "v0.20", StorageInitializerField: true, GatewayRefsWithRoute: true, TLSFollowsCluster: true},
}

// Default is the release the output is for unless spec.kserveVersion says otherwise.
func Default() Release { return releases[len(releases)-1] }

// Lookup returns the release line of version, written v0.20 or v0.20.1 (the patch release
// does not matter).
func Lookup(version string) (Release, bool) {
	minor := version
	if parts := strings.Split(version, "."); len(parts) == 3 {
		minor = parts[0] + "." + parts[1]
	}
	i := slices.IndexFunc(releases, func(r Release) bool { return r.Version == minor })
	if i < 0 {
		return Release{}, false
	}
	return releases[i], true
}

// Versions lists the known release lines, oldest first.
func Versions() []string {
	versions := make([]string, len(releases))
	for i, r := range releases {
		versions[i] = r.Version
	}
	return versions
}
