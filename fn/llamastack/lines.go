// Package llamastack holds what the function must know of the Llama Stack server: its
// release lines (Llama Stack 0.3.x, and OGX, as the project is called from 0.8 on), the
// images of each, and the start-up program (launch.py) that runs in the pod. Each fact is
// read from upstream at a tag, named next to it.
package llamastack

import (
	"embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Line is one release line of the server: a starter distribution, whose configuration is
// in the server's Python package, or a distribution image with a configuration of its own.
type Line struct {
	// Name is how spec.imageLine names it; Family is the upstream project's line the
	// provider registry's per-line entries name (llama-stack or ogx).
	Name, Family string
	// Versions and Images say what the line is, for people.
	Versions string
	// Package is the Python package; StarterConfigs are the starter distribution's config
	// files in it, in the order the start-up tries them. ImageConfig, when set, is the
	// distribution image's own configuration, which the start-up uses instead.
	Package        string
	StarterConfigs []string
	ImageConfig    string
	// Command runs the server on a config file; Entrypoint is the same command as a Python
	// function, for lines that run the server in the start-up's own process.
	Command    []string
	Entrypoint string
	// ImageEntrypoint is the image's own entrypoint, through which the start-up runs the
	// server where it does more than start it: SecretFiles lists the variables it reads
	// from the file that <VAR>_FILE names.
	ImageEntrypoint string
	SecretFiles     []string
	// PortEnv sets the port (v0.3.x ignores server.port); ConfigDirEnv moves the server's
	// own directory (registry, distributions) from ~ to the data volume.
	PortEnv, ConfigDirEnv string
	// InsecureFlag must be passed to serve without TLS files, where the line refuses to.
	InsecureFlag string
	// Aliases says how a model gets names besides <provider>/<model>: "registered" (the
	// line registers them from the config) or "lookup" (the start-up resolves them in the
	// routing table, the line having no way to register them).
	Aliases string
	// Postgres says the image carries PostgreSQL's drivers, so spec.storage.postgres works.
	Postgres bool
	// Providers, when set, are the only providers the image's configuration ships.
	Providers []string
	// Limits is what a user must know of the line, for the README's table.
	Limits string
	// Metrics is the line's own counter that a chat increments, as the start-up serves it at
	// /metrics (metrics.py), and what it counts; no Counter where nothing counts a chat.
	Metrics LineMetrics
	// NoAWSIdentity, when set, says why the line's Bedrock provider cannot assume an IAM
	// role from a web-identity token (spec identity.aws), for the error and the README.
	NoAWSIdentity string
	// NetworkBlock says every remote inference provider's config takes a network block
	// (timeout, proxy, tls, headers): RemoteInferenceProviderConfig.network in
	// providers/utils/inference/model_registry.py (LS v0.7.1, OGX v1.2.2+rhaiv.0) or
	// network_config.py (OGX v1.3.0), applied by http_client.py. Without it (LS 0.3.x), only
	// vllm's tls_verify, and the pod's HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE.
	NetworkBlock bool
}

// LineMetrics names a counter in Prometheus' text format and what it counts.
type LineMetrics struct{ Counter, Counts string }

// noBedrockRole is why Llama Stack 0.4 to 0.7's Bedrock provider takes no IAM role.
const noBedrockRole = "its Bedrock provider takes a Bedrock API key only"

var lines = []Line{
	{
		// llamastack/llama-stack v0.3.0 to v0.3.5: llama_stack/distributions/starter/run.yaml
		// (renamed config.yaml in v0.4.0), llama_stack/cli/stack/run.py (LLAMA_STACK_PORT,
		// uvicorn in process), llama_stack/core/utils/config_dirs.py.
		Name: "llama-stack", Family: "llama-stack", Versions: "Llama Stack 0.3.x starter", Package: "llama_stack",
		StarterConfigs: []string{"distributions/starter/run.yaml", "distributions/starter/config.yaml", "templates/starter/run.yaml"},
		Command:        []string{"llama", "stack", "run"}, Entrypoint: "llama_stack.cli.llama:main",
		PortEnv: "LLAMA_STACK_PORT", ConfigDirEnv: "LLAMA_STACK_CONFIG_DIR", Aliases: "lookup",
		Limits: "other model names through the start-up's lookup",
		// Its only counters are the inference router's token counts (core/routers/inference.py
		// _construct_metrics), kept only when the router gets the telemetry API; its spec
		// depends on the routing table alone (core/resolver.py specs_for_autorouted_apis;
		// core/routers/__init__.py), at v0.3.0 and v0.3.5: nothing counts a chat.
		Metrics: LineMetrics{"", "nothing: Llama Stack 0.3 records no request metrics, and its token counters are never wired"},
		// v0.3.0 remote/inference/bedrock/bedrock.py:126-142: openai_embeddings,
		// openai_completion and openai_chat_completion raise NotImplementedError.
		NoAWSIdentity: "its Bedrock provider answers no OpenAI call (chat raises NotImplementedError), so no credentials are ever used",
	},
	{
		// llamastack/llama-stack v0.7.1: src/llama_stack/distributions/starter/config.yaml,
		// cli/stack/run.py (--port defaults to LLAMA_STACK_PORT; server.port is never used;
		// uvicorn in process), core/routing_tables/models.py (every model registers as
		// <provider_id>/<provider_model_id>: no alias can be configured).
		Name: "llama-stack-0.7", Family: "llama-stack", Versions: "Llama Stack 0.4 to 0.7 starter", Package: "llama_stack",
		StarterConfigs: []string{"distributions/starter/config.yaml"},
		Command:        []string{"llama", "stack", "run"}, Entrypoint: "llama_stack.cli.llama:main",
		PortEnv: "LLAMA_STACK_PORT", ConfigDirEnv: "LLAMA_STACK_CONFIG_DIR", Aliases: "lookup", NetworkBlock: true,
		Limits:  "images from 0.5.2 run as root (set `runAsUser` outside OpenShift); 0.4 to 0.6 are not run in the tests",
		Metrics: LineMetrics{"llama_stack_requests_total", "API requests"},
		// v0.7.1 remote/inference/bedrock/config.py: BedrockConfig has api_key and region_name
		// only; bedrock.py calls Bedrock's OpenAI-compatible endpoint with that key.
		NoAWSIdentity: noBedrockRole,
	},
	{
		// opendatahub-io/llama-stack-distribution 4911d0d0ed29 (Llama Stack v0.7.1+rhaiv.1):
		// distribution/config.yaml (kv_postgres and sql_postgres from POSTGRES_*, the files
		// store fixed under ~/.llama), distribution/entrypoint.sh (no <VAR>_FILE), Containerfile.
		Name: "odh-llama-stack", Family: "llama-stack", Versions: "Open Data Hub Llama Stack 0.7 distribution", Package: "llama_stack",
		ImageConfig: "/opt/app-root/config.yaml",
		Command:     []string{"llama", "stack", "run"}, Entrypoint: "llama_stack.cli.llama:main",
		PortEnv: "LLAMA_STACK_PORT", ConfigDirEnv: "LLAMA_STACK_CONFIG_DIR", Aliases: "lookup", Postgres: true, NetworkBlock: true,
		Providers: []string{"azure", "bedrock", "openai", "vertexai", "vllm"},
		Limits:    "credentials as env (its entrypoint reads no `<VAR>_FILE`); no OpenTelemetry wrapper",
		Metrics:   LineMetrics{"llama_stack_requests_total", "API requests"},
		// Its src/ is upstream v0.7.1's (see llama-stack-0.7); config.yaml: api_key, region_name.
		NoAWSIdentity: noBedrockRole,
	},
	{
		// opendatahub-io/ogx v1.3.0: src/ogx/distributions/starter/config.yaml,
		// src/ogx/cli/stack/run.py (ogx run; OGX_PORT; --insecure without TLS files),
		// src/ogx/core/utils/config_dirs.py (OGX_CONFIG_DIR).
		Name: "ogx", Family: "ogx", Versions: "OGX 1.x starter", Package: "ogx",
		StarterConfigs: []string{"distributions/starter/config.yaml"},
		Command:        []string{"ogx", "run"},
		PortEnv:        "OGX_PORT", ConfigDirEnv: "OGX_CONFIG_DIR", InsecureFlag: "--insecure", Aliases: "registered", NetworkBlock: true,
		Limits:  "the only line with `meta`",
		Metrics: LineMetrics{"ogx_requests_total", "API requests"},
	},
	{
		// red-hat-data-services/ogx-distribution 60dacaa36067 (OGX v1.2.2+rhaiv.0):
		// distribution/config.yaml (kv_postgres and sql_postgres from POSTGRES_*),
		// distribution/entrypoint.sh (<VAR>_FILE for the variables below; then
		// "ogx run --insecure $RUN_CONFIG_PATH").
		Name: "odh-ogx", Family: "ogx", Versions: "Open Data Hub OGX 1.x distribution", Package: "ogx",
		ImageConfig: "/opt/app-root/config.yaml", ImageEntrypoint: "/opt/app-root/entrypoint.sh",
		SecretFiles: []string{
			"ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_BEDROCK_BEARER_TOKEN", "AWS_SECRET_ACCESS_KEY", "AZURE_API_KEY",
			"BRAVE_SEARCH_API_KEY", "DOCLING_SERVE_API_KEY", "GEMINI_ACCESS_TOKEN", "GEMINI_API_KEY", "MILVUS_TOKEN",
			"OPENAI_API_KEY", "PGVECTOR_PASSWORD", "POSTGRES_PASSWORD", "QDRANT_API_KEY", "TAVILY_SEARCH_API_KEY",
			"VLLM_API_TOKEN", "VLLM_EMBEDDING_API_TOKEN", "WATSONX_API_KEY",
		},
		Command: []string{"ogx", "run"},
		PortEnv: "OGX_PORT", ConfigDirEnv: "OGX_CONFIG_DIR", InsecureFlag: "--insecure", Aliases: "registered", Postgres: true, NetworkBlock: true,
		Providers: []string{"anthropic", "azure", "bedrock", "gemini", "openai", "vertexai", "vllm"},
		Limits:    "credentials as files (`<VAR>_FILE`), through the image's entrypoint",
		// With OTEL_SERVICE_NAME, entrypoint.sh runs "opentelemetry-instrument ... ogx run",
		// which puts its own sitecustomize.py first on PYTHONPATH, and metrics.py's never runs.
		Metrics: LineMetrics{"ogx_requests_total", "API requests; no `/metrics` if you set `OTEL_SERVICE_NAME`"},
	},
}

// Image is a known image repository (and, where one repository holds several lines, the
// tags of this line) and the line its images belong to.
type Image struct {
	Repository string
	// Tags, when set, matches the tags of the line; a repository's first row takes the
	// images whose tag tells no version (a digest, or no tag).
	Tags *regexp.Regexp
	Line string
	// Note says which tags or releases the row is, for people.
	Note string
}

var images = []Image{
	// Built by llamastack/llama-stack-ops actions/publish-dockers, which adds USER 1001.
	{Repository: "docker.io/llamastack/distribution-starter", Tags: regexp.MustCompile(`^v?0\.3\.`), Line: "llama-stack", Note: "0.3.x"},
	// llamastack/llama-stack v0.7.1 .github/workflows/pypi.yml builds containers/Containerfile
	// (no USER: root; any other UID needs gid 0).
	{Repository: "docker.io/llamastack/distribution-starter", Tags: regexp.MustCompile(`^v?0\.[4-7]\.`), Line: "llama-stack-0.7", Note: "0.4.x to 0.7.x"},
	// opendatahub-io/llama-stack-distribution: distribution/Containerfile (USER 1001, gid 0).
	{Repository: "quay.io/opendatahub/llama-stack", Line: "odh-llama-stack"},
	// RHOAI 3.4's build of it (.tekton of red-hat-data-services/llama-stack-distribution).
	{Repository: "quay.io/rhoai/odh-llama-stack-core-rhel9", Line: "odh-llama-stack", Note: "RHOAI 3.4"},
	// Built by ogx-ai/ogx .github/workflows/pypi.yml from containers/Containerfile: USER 1001.
	{Repository: "docker.io/ogxai/distribution-starter", Line: "ogx"},
	// red-hat-data-services/ogx-distribution: Containerfile (UBI, USER 1001, gid 0).
	{Repository: "quay.io/opendatahub/odh-ogx-core", Line: "odh-ogx"},
	// RHOAI 3.5 and 3.6's build of it (.tekton of red-hat-data-services/ogx-distribution).
	{Repository: "quay.io/rhoai/odh-ogx-core-rhel9", Line: "odh-ogx", Note: "RHOAI 3.5, 3.6"},
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

// programFiles are the start-up program the pod runs: launch.py, its entry point, and the
// modules it imports from its own folder.
//
//go:embed *.py
var programFiles embed.FS

// Program is the start-up program, file name to content: launch.py and its modules.
var Program = sync.OnceValue(func() map[string]string {
	entries, _ := programFiles.ReadDir(".")
	files := make(map[string]string, len(entries))
	for _, e := range entries {
		b, _ := programFiles.ReadFile(e.Name())
		files[e.Name()] = string(b)
	}
	return files
})

// ProgramNames are the program's file names, sorted.
var ProgramNames = sync.OnceValue(func() []string {
	return slices.Sorted(maps.Keys(Program()))
})

// LineNamed returns the line called name.
func LineNamed(name string) (Line, bool) {
	i := slices.IndexFunc(lines, func(l Line) bool { return l.Name == name })
	if i < 0 {
		return Line{}, false
	}
	return lines[i], true
}

// PostgresLines lists the lines whose images can keep their state in PostgreSQL.
func PostgresLines() []string {
	var names []string
	for _, l := range lines {
		if l.Postgres {
			names = append(names, l.Name)
		}
	}
	return names
}

// Lines lists the lines.
func Lines() []Line { return slices.Clone(lines) }

// LineNames lists the lines.
func LineNames() []string {
	names := make([]string, len(lines))
	for i, l := range lines {
		names[i] = l.Name
	}
	return names
}

// ImageOf returns the known image row of an image reference (docker.io's short forms
// understood): the row of its repository whose tags match, else the repository's first row.
func ImageOf(image string) (Image, bool) {
	repo := Repository(image)
	tag := Tag(image)
	first := -1
	for i, im := range images {
		if im.Repository != repo {
			continue
		}
		if im.Tags != nil && tag != "" && im.Tags.MatchString(tag) {
			return im, true
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return Image{}, false
	}
	return images[first], true
}

// Tag is the tag of an image reference, or "" for none (a digest only, or no tag).
func Tag(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return ""
}

// Repositories lists the known image repositories, each once.
func Repositories() []string {
	var repos []string
	for _, im := range images {
		if !slices.Contains(repos, im.Repository) {
			repos = append(repos, im.Repository)
		}
	}
	return repos
}

// Images lists the known image rows.
func Images() []Image { return slices.Clone(images) }

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
