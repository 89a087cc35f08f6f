// Package startup is the start-up of the Llama Stack server in KServe's main container: the
// shell command main runs, and the ConfigMap it reads (launch.py, the line's start-up program,
// and settings.json, everything launch.py needs, no secret among it).
package startup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"maps"
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
	// Volume holds the generated ConfigMap (launch.py and settings.json), mounted
	// read-only at Dir.
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

// Files are the ConfigMap's data: the program (launch.py and its modules) and settings.json
// for isvc.
func Files(isvc *yaml.RNode, cfg *config.Config) map[string]string {
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
	names := ModelNames(isvc, cfg)
	for _, pc := range cfg.Providers {
		settings.Providers = append(settings.Providers, startupProvider{
			ID: pc.Provider.Name, Type: "remote::" + pc.Provider.Name,
			Models: []startupModel{{ID: pc.Model, Names: slices.Clip(append([]string{}, names[pc.Provider.Name]...))}},
		})
	}
	b, _ := json.MarshalIndent(settings, "", "  ")
	files := maps.Clone(llamastack.Program())
	files["settings.json"] = string(b) + "\n"
	return files
}

// ConfigMapName names the ConfigMap of isvc after its content, so that a change of
// settings or start-up rolls the pod.
func ConfigMapName(isvc *yaml.RNode, cfg *config.Config) string {
	h, _ := launcherHash().Clone() // SHA-256 always clones
	hashFile(h, "settings.json", Files(isvc, cfg)["settings.json"])
	return isvc.GetName() + "-startup-" + hex.EncodeToString(h.Sum(nil))[:10]
}

// launcherHash is the hash after the program's files, the same for every service: a name then hashes
// only its settings.json, not the whole program once more (it is most of the ConfigMap).
var launcherHash = sync.OnceValue(func() hash.Cloner {
	h := sha256.New().(hash.Cloner)
	for _, name := range llamastack.ProgramNames() {
		hashFile(h, name, llamastack.Program()[name])
	}
	return h
})

// hashFile adds one file of the ConfigMap to h: its key and content, each ended by a NUL.
func hashFile(h hash.Hash, key, content string) {
	h.Write([]byte(key + "\x00" + content + "\x00"))
}
