// Package startup is the start-up of the Llama Stack server in KServe's main container: the
// shell command main runs, and the two ConfigMaps it reads, projected into one folder: the
// program (launch.py and its modules), shared by the services of a namespace, and each
// service's own settings.json, everything the program needs, no secret among it.
package startup

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"slices"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/kserve"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
)

// Command and Script start Llama Stack's starter distribution as a KServe model server.
// command is replaced whole by KServe's merge, and args too (v0.16's preset has vLLM args),
// so both are set. The script contains no "{{": KServe renders the merged spec as a Go
// template.
var Command = []string{"/bin/sh", "-c"}

// Marker opens every start-up script the function writes (and has written), so that it can
// tell its own start-up (which it keeps current) from a command the user wrote.
const Marker = "# Llama Stack's starter distribution as a KServe model server"

const (
	// Volume projects the program's ConfigMap and the service's start-up ConfigMap
	// (settings.json) into one folder, mounted read-only at Dir.
	Volume = "llamastack-startup"
	Dir    = "/etc/llamastack-integration"
	// DataVolume is the emptyDir where Llama Stack writes everything: its config, registry,
	// databases, files, HOME and TMPDIR. Nothing else in the container need be writable.
	DataVolume = "llamastack-data"
	DataDir    = "/var/lib/llamastack"
)

// Script is main's args: it runs the start-up program of the ConfigMap. It opens with
// Marker, so the function recognises its own start-up.
const Script = Marker + `: the start-up
# program and its settings are in the ConfigMap mounted at ` + Dir + `.
exec python3 ` + Dir + `/launch.py
`

// startupSettings is settings.json: everything launch.py needs, no secret among it.
type startupSettings struct {
	Line            string    `json:"line"`
	Package         string    `json:"package"`
	StarterConfigs  []string  `json:"starterConfigs,omitempty"`
	ImageConfig     string    `json:"imageConfig,omitempty"`
	Command         []string  `json:"command"`
	Entrypoint      string    `json:"entrypoint,omitempty"`
	ImageEntrypoint string    `json:"imageEntrypoint,omitempty"`
	PortEnv         string    `json:"portEnv"`
	ConfigDirEnv    string    `json:"configDirEnv"`
	InsecureFlag    string    `json:"insecureFlag,omitempty"`
	Aliases         string    `json:"aliases"`
	Port            int       `json:"port"`
	TLS             *tlsFiles `json:"tls"`
	DataDir         string    `json:"dataDir"`
	// Storage is sqlite or postgres; Postgres names the database for messages.
	Storage   string            `json:"storage"`
	Postgres  *startupPostgres  `json:"postgres,omitempty"`
	Providers []startupProvider `json:"providers"`
	// Network is spec.network's and spec.trustedCA's part for the start-up (network.py).
	Network *config.NetworkStartup `json:"network,omitempty"`
}

// startupPostgres names spec.storage.postgres's database; the password is the pod's env.
type startupPostgres struct {
	Host           string `json:"host"`
	Port           int32  `json:"port"`
	Database       string `json:"database"`
	User           string `json:"user"`
	PasswordSecret string `json:"passwordSecret"`
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

// Settings is settings.json for isvc, the data of its start-up ConfigMap.
func Settings(isvc *yaml.RNode, cfg *config.Config) string {
	line := cfg.Line
	settings := startupSettings{
		Line: line.Name, Package: line.Package, StarterConfigs: line.StarterConfigs, ImageConfig: line.ImageConfig,
		Command: line.Command, Entrypoint: line.Entrypoint, ImageEntrypoint: line.ImageEntrypoint,
		PortEnv: line.PortEnv, ConfigDirEnv: line.ConfigDirEnv, InsecureFlag: line.InsecureFlag, Aliases: line.Aliases,
		Port: kserve.Port, DataDir: DataDir, Storage: "sqlite",
	}
	if pg := cfg.Postgres; pg != nil {
		settings.Storage = "postgres"
		settings.Postgres = &startupPostgres{Host: pg.Host, Port: pg.Port, Database: pg.Database, User: pg.User, PasswordSecret: pg.PasswordSecret}
	}
	if cfg.TLS {
		settings.TLS = &tlsFiles{CertFile: kserve.TLSMountPath + "/tls.crt", KeyFile: kserve.TLSMountPath + "/tls.key"}
	}
	settings.Network = cfg.NetworkStartup(isvc.GetName(), DataDir)
	names := ModelNames(isvc, cfg)
	for _, pc := range cfg.Providers {
		settings.Providers = append(settings.Providers, startupProvider{
			ID: pc.Provider.Name, Type: "remote::" + pc.Provider.Name,
			Models: []startupModel{{ID: pc.Model, Names: slices.Clip(append([]string{}, names[pc.Provider.Name]...))}},
		})
	}
	b, _ := json.MarshalIndent(settings, "", "  ")
	return string(b) + "\n"
}

// SettingsFile is the start-up ConfigMap's one key.
const SettingsFile = "settings.json"

// ConfigMapName names the start-up ConfigMap of isvc after its content, so that a change of
// settings rolls the pod.
func ConfigMapName(isvc *yaml.RNode, cfg *config.Config) string {
	h := sha256.New()
	hashFile(h, SettingsFile, Settings(isvc, cfg))
	return isvc.GetName() + StartupInfix + hex.EncodeToString(h.Sum(nil))[:10]
}

// The infixes of the generated ConfigMaps' names, between the service's name and the hash.
const (
	StartupInfix = "-startup-"
	ProgramInfix = "-program-"
)

// ProgramConfigMapName names the program's ConfigMap for isvc. One copy serves every service
// of a namespace that the run configures: it is most of the function's output, and one per
// service made the function's time grow with it. It is named after the namespace's first
// service in the run (cfg.ProgramService), so that two runs (two Argo CD Applications, say)
// writing to one namespace never write one object; and after its content, so that a new
// program rolls the pods.
func ProgramConfigMapName(isvc *yaml.RNode, cfg *config.Config) string {
	return cmp.Or(cfg.ProgramService, isvc.GetName()) + ProgramInfix + programHash()
}

// programHash is the hash of the program's files, which are the same for every service.
var programHash = sync.OnceValue(func() string {
	h := sha256.New()
	for _, name := range llamastack.ProgramNames() {
		hashFile(h, name, llamastack.Program()[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
})

// hashFile adds one file of the ConfigMap to h: its key and content, each ended by a NUL.
func hashFile(h hash.Hash, key, content string) {
	h.Write([]byte(key + "\x00" + content + "\x00"))
}
