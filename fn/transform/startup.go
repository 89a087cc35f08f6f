package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
)

const (
	// StartupVolume holds the generated ConfigMap (launch.py and settings.json), mounted
	// read-only at StartupDir.
	StartupVolume = "llamastack-startup"
	StartupDir    = "/etc/llamastack-integration"
	// DataVolume is the emptyDir where Llama Stack writes everything: its config, registry,
	// databases, files, HOME and TMPDIR. Nothing else in the container need be writable.
	DataVolume = "llamastack-data"
	DataDir    = "/var/lib/llamastack"
)

// StartupScript is main's args: it runs the start-up program of the ConfigMap. It opens with
// startupMarker, so the function recognises its own start-up.
const StartupScript = startupMarker + `: the start-up
# program and its settings are in the ConfigMap mounted at ` + StartupDir + `.
exec python3 ` + StartupDir + `/launch.py
`

// startupSettings is settings.json: everything launch.py needs, no secret among it.
type startupSettings struct {
	Line           string            `json:"line"`
	Package        string            `json:"package"`
	StarterConfigs []string          `json:"starterConfigs"`
	Command        []string          `json:"command"`
	Entrypoint     string            `json:"entrypoint,omitempty"`
	PortEnv        string            `json:"portEnv"`
	ConfigDirEnv   string            `json:"configDirEnv"`
	InsecureFlag   string            `json:"insecureFlag,omitempty"`
	Aliases        string            `json:"aliases"`
	Port           int               `json:"port"`
	TLS            *tlsFiles         `json:"tls"`
	DataDir        string            `json:"dataDir"`
	Providers      []startupProvider `json:"providers"`
}

type tlsFiles struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

type startupProvider struct {
	ID     string         `json:"id"`
	Type   string         `json:"type"`
	Models []startupModel `json:"models"`
}

// startupModel is one model and the names it answers to besides <provider>/<model>.
type startupModel struct {
	ID    string   `json:"id"`
	Names []string `json:"names"`
}

// ModelNames are the names a service's models answer to besides <provider>/<model>, by
// provider: the model's own name, and publishers/<namespace>/models/<name> (what KServe
// gives vLLM with --served-model-name, and current MaaS lists). A name two providers would
// share goes to the first. On the llama-stack line, whose /v1/models carries no OpenAI id,
// MaaS v0.1 to v0.2 lists the MaaSModelRef's name, so the first model answers to that too.
func ModelNames(isvc *yaml.RNode, cfg *config.Config) map[string][]string {
	taken := map[string]bool{}
	names := map[string][]string{}
	for i, pc := range cfg.Providers {
		candidates := []string{pc.Model}
		if ns := isvc.GetNamespace(); ns != "" {
			candidates = append(candidates, "publishers/"+ns+"/models/"+pc.Model)
		}
		if i == 0 && cfg.Line.Aliases == "lookup" && cfg.MaaS != nil && cfg.MaaS.ModelRef != nil {
			candidates = append(candidates, isvc.GetName())
		}
		for _, n := range candidates {
			if !taken[n] && n != pc.Provider.Name+"/"+pc.Model {
				taken[n] = true
				names[pc.Provider.Name] = append(names[pc.Provider.Name], n)
			}
		}
	}
	return names
}

// StartupFiles are the ConfigMap's data: launch.py and settings.json for isvc.
func StartupFiles(isvc *yaml.RNode, cfg *config.Config) map[string]string {
	line := cfg.Line
	settings := startupSettings{
		Line: line.Name, Package: line.Package, StarterConfigs: line.StarterConfigs, Command: line.Command,
		Entrypoint: line.Entrypoint, PortEnv: line.PortEnv, ConfigDirEnv: line.ConfigDirEnv,
		InsecureFlag: line.InsecureFlag, Aliases: line.Aliases, Port: Port, DataDir: DataDir,
	}
	if cfg.TLS {
		settings.TLS = &tlsFiles{CertFile: TLSMountPath + "/tls.crt", KeyFile: TLSMountPath + "/tls.key"}
	}
	names := ModelNames(isvc, cfg)
	for _, pc := range cfg.Providers {
		settings.Providers = append(settings.Providers, startupProvider{
			ID: pc.Provider.Name, Type: "remote::" + pc.Provider.Name,
			Models: []startupModel{{ID: pc.Model, Names: slices.Clip(append([]string{}, names[pc.Provider.Name]...))}},
		})
	}
	b, _ := json.MarshalIndent(settings, "", "  ")
	return map[string]string{"launch.py": llamastack.Launcher(), "settings.json": string(b) + "\n"}
}

// StartupConfigMap names the ConfigMap of isvc after its content, so that a change of
// settings or start-up rolls the pod.
func StartupConfigMap(isvc *yaml.RNode, cfg *config.Config) string {
	files := StartupFiles(isvc, cfg)
	h := sha256.New()
	for _, key := range []string{"launch.py", "settings.json"} {
		h.Write([]byte(key + "\x00" + files[key] + "\x00"))
	}
	return isvc.GetName() + "-startup-" + hex.EncodeToString(h.Sum(nil))[:10]
}
