// Package llamastack holds what the function must know of the Llama Stack server: its
// release lines (Llama Stack 0.3.x, and OGX, as the project is called from 0.8 on), the
// images of each, and the start-up program (launch.py) that runs in the pod. Each fact is
// read from upstream at a tag, named next to it.
package llamastack

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// Line is one release line of the server.
type Line struct {
	// Name is how spec.imageLine names it.
	Name string
	// Package is the Python package; StarterConfigs are the starter distribution's config
	// files in it, in the order the start-up tries them.
	Package        string
	StarterConfigs []string
	// Command runs the server on a config file; Entrypoint is the same command as a Python
	// function, for lines that run the server in the start-up's own process.
	Command    []string
	Entrypoint string
	// PortEnv sets the port (v0.3.x ignores server.port); ConfigDirEnv moves the server's
	// own directory (registry, distributions) from ~ to the data volume.
	PortEnv, ConfigDirEnv string
	// InsecureFlag must be passed to serve without TLS files, where the line refuses to.
	InsecureFlag string
	// Aliases says how a model gets names besides <provider>/<model>: "registered" (the
	// line registers them from the config) or "lookup" (the start-up resolves them in the
	// routing table, the line having no way to register them).
	Aliases string
}

var lines = []Line{
	{
		// llamastack/llama-stack v0.3.0 to v0.3.5: llama_stack/distributions/starter/run.yaml
		// (renamed config.yaml in v0.4.0), llama_stack/cli/stack/run.py (LLAMA_STACK_PORT,
		// uvicorn in process), llama_stack/core/utils/config_dirs.py.
		Name: "llama-stack", Package: "llama_stack",
		StarterConfigs: []string{"distributions/starter/run.yaml", "distributions/starter/config.yaml", "templates/starter/run.yaml"},
		Command:        []string{"llama", "stack", "run"}, Entrypoint: "llama_stack.cli.llama:main",
		PortEnv: "LLAMA_STACK_PORT", ConfigDirEnv: "LLAMA_STACK_CONFIG_DIR", Aliases: "lookup",
	},
	{
		// opendatahub-io/ogx v1.3.0: src/ogx/distributions/starter/config.yaml,
		// src/ogx/cli/stack/run.py (ogx run; OGX_PORT; --insecure without TLS files),
		// src/ogx/core/utils/config_dirs.py (OGX_CONFIG_DIR).
		Name: "ogx", Package: "ogx",
		StarterConfigs: []string{"distributions/starter/config.yaml"},
		Command:        []string{"ogx", "run"},
		PortEnv:        "OGX_PORT", ConfigDirEnv: "OGX_CONFIG_DIR", InsecureFlag: "--insecure", Aliases: "registered",
	},
}

// Image is a known image repository and the line its images belong to.
type Image struct {
	Repository string
	Line       string
}

var images = []Image{
	// Built by llamastack/llama-stack-ops actions/publish-dockers, which adds USER 1001.
	{Repository: "docker.io/llamastack/distribution-starter", Line: "llama-stack"},
	// Built by ogx-ai/ogx .github/workflows/pypi.yml from containers/Containerfile: USER 1001.
	{Repository: "docker.io/ogxai/distribution-starter", Line: "ogx"},
}

// HealthPath is the server's health endpoint on both lines (Llama Stack 0.3.0 and OGX serve
// /v1/health; KServe's vLLM preset probes /health).
const HealthPath = "/v1/health"

// DefaultImage is the newest starter release whose tag upstream proves: ogx-ai/ogx-k8s-operator
// v0.14.0 pins it in distributions.json ("starter": "docker.io/ogxai/distribution-starter:1.3.0"),
// built from the v1.3.0 release commit of the OGX repository.
const DefaultImage = "docker.io/ogxai/distribution-starter:1.3.0"

// LegacyImage is the newest of the 0.3.x line: the tag v0.3.5 of llamastack/llama-stack
// (2025-12-15) is a final release, which llama-stack-ops publishes as
// llamastack/distribution-starter:<version>.
const LegacyImage = "docker.io/llamastack/distribution-starter:0.3.5"

//go:embed launch.py
var launcher string

// Launcher is the start-up program the pod runs.
func Launcher() string { return launcher }

// LineNamed returns the line called name.
func LineNamed(name string) (Line, bool) {
	i := slices.IndexFunc(lines, func(l Line) bool { return l.Name == name })
	if i < 0 {
		return Line{}, false
	}
	return lines[i], true
}

// LineNames lists the lines.
func LineNames() []string {
	names := make([]string, len(lines))
	for i, l := range lines {
		names[i] = l.Name
	}
	return names
}

// ImageOf returns the known repository of an image reference (tag or digest aside, and
// docker.io's short forms understood).
func ImageOf(image string) (Image, bool) {
	repo := Repository(image)
	i := slices.IndexFunc(images, func(im Image) bool { return im.Repository == repo })
	if i < 0 {
		return Image{}, false
	}
	return images[i], true
}

// Repositories lists the known image repositories.
func Repositories() []string {
	repos := make([]string, len(images))
	for i, im := range images {
		repos[i] = im.Repository
	}
	return repos
}

// Repository is image without tag or digest, with docker.io's defaults written out.
func Repository(image string) string {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	first, _, found := strings.Cut(repo, "/")
	switch {
	case !found:
		return "docker.io/library/" + repo
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		return "docker.io/" + repo
	}
	return repo
}

// Unpinned reports whether an image reference has no digest and no tag, or :latest: every
// restart may then run another server.
func Unpinned(image string) bool {
	if strings.Contains(image, "@") {
		return false
	}
	lastSlash := strings.LastIndex(image, "/")
	tagAt := strings.LastIndex(image, ":")
	if tagAt <= lastSlash {
		return true
	}
	return image[tagAt+1:] == "latest"
}

// UnpinnedWarning is the one message for an unpinned image, wherever it was found.
func UnpinnedWarning(image string) string {
	return fmt.Sprintf("image %q is not pinned (no tag, or :latest): every restart may run a different Llama Stack; pin a release tag or digest (the default is %s)", image, DefaultImage)
}
