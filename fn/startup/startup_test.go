package startup

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"

	"github.com/llamastack-integration/llamastack-integration/fn/kserve"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// The start-up contract, run for real: the rendered start-up (main's args, then launch.py
// with the rendered settings.json) runs with /bin/sh and Debian's python3 and PyYAML, as a
// non-root UID, with HOME=/ or /home and a working directory it cannot write, against a
// fixture of each line's package layout. The fixtures have upstream's module, file and
// command names, and record what the server would be handed instead of serving:
//   - llama-stack (llamastack/llama-stack v0.3.0): llama_stack/distributions/starter/run.yaml;
//     `llama stack run` is llama_stack.cli.llama:main in process (cli/stack/run.py runs
//     uvicorn there); core/routing_tables/models.py has lookup_model and
//     ModelsRoutingTable.list_models;
//   - ogx (opendatahub-io/ogx v1.3.0): ogx/distributions/starter/config.yaml and the `ogx`
//     command (`ogx run CONFIG [--insecure]`, src/ogx/cli/stack/run.py).
// The real servers cannot be installed here; ../shared/llsruntime and ../shared/ogxruntime
// run them from source (README: Llama Stack and OGX at run time).

// fixtureStarter is a starter configuration in the shape both lines share (version 2):
// conditional provider ids, one inline provider, storage paths under ~, shields and a port.
const fixtureStarter = `version: 2
providers:
  inference:
  - provider_id: ${env.CEREBRAS_API_KEY:+cerebras}
    provider_type: remote::cerebras
    config: {api_key: "${env.CEREBRAS_API_KEY:=}"}
  - provider_id: fireworks
    provider_type: remote::fireworks
    config: {api_key: "${env.FIREWORKS_API_KEY:=}"}
  - provider_id: bedrock
    provider_type: remote::bedrock
  - provider_id: openai
    provider_type: remote::openai
    config: {api_key: "${env.OPENAI_API_KEY:=}", base_url: "${env.OPENAI_BASE_URL:=https://api.openai.com/v1}"}
  - provider_id: anthropic
    provider_type: remote::anthropic
    config: {api_key: "${env.ANTHROPIC_API_KEY:=}"}
  - provider_id: sentence-transformers
    provider_type: inline::sentence-transformers
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: "${env.SQLITE_STORE_DIR:=~/.llama/distributions/starter}/kvstore.db"}
registered_resources:
  models: []
  shields:
  - {shield_id: llama-guard, provider_id: "${env.SAFETY_MODEL:+llama-guard}"}
server:
  port: 8321
`

// fixtureRecorder is what the fixtures run instead of the server: it writes what it was
// handed to $RECORD as JSON. On llama-stack it also asks the (patched) routing table.
const fixtureRecorder = `import asyncio, json, os, sys
import yaml

def record(extra):
    config_path = sys.argv[-1] if not sys.argv[-1].startswith("--") else sys.argv[-2]
    env = {k: v for k, v in os.environ.items() if k in (
        "HOME", "TMPDIR", "SQLITE_STORE_DIR", "MILVUS_DB_PATH", "FILES_STORAGE_DIR", "OGX_PORT", "LLAMA_STACK_PORT",
        "OGX_CONFIG_DIR", "LLAMA_STACK_CONFIG_DIR", "SSL_CERT_FILE")}
    out = dict(argv=sys.argv, cwd=os.getcwd(), env=env, config=yaml.safe_load(open(config_path)), **extra)
    with open(os.environ["RECORD"] + ".tmp", "w") as f:
        json.dump(out, f)
    os.rename(os.environ["RECORD"] + ".tmp", os.environ["RECORD"])
    # A server serves until it is stopped; FIXTURE_EXIT makes it exit on its own instead.
    if "FIXTURE_EXIT" in os.environ:
        sys.exit(int(os.environ["FIXTURE_EXIT"]))
    import signal
    signal.sigwait([signal.SIGTERM])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn re-raises the signal
`

var fixtureFiles = map[string]map[string]string{
	"llama-stack": {
		"site/llama_stack/__init__.py":                     "",
		"site/llama_stack/distributions/starter/run.yaml":  fixtureStarter,
		"site/llama_stack/core/__init__.py":                "",
		"site/llama_stack/core/routing_tables/__init__.py": "",
		"site/llama_stack/core/routing_tables/common.py":   fixtureCommonTable,
		"site/llama_stack/core/routing_tables/models.py":   fixtureRoutingTable,
		"site/llama_stack/cli/__init__.py":                 "",
		"site/llama_stack/cli/llama.py":                    fixtureRecorder + fixtureLlamaMain,
	},
	"ogx": {
		"site/ogx/__init__.py":                       "",
		"site/ogx/distributions/starter/config.yaml": fixtureStarter,
		"bin/ogx": "#!/usr/bin/python3\n" + fixtureRecorder + "record({})\n",
	},
}

// fixtureCommonTable and fixtureRoutingTable have the names launch.py patches:
// CommonRoutingTableImpl.get_object_by_identifier(type, identifier), through which
// lookup_model and (from 0.4 on) the inference router look models up, and the models table's
// list_models (0.3.x, models with .identifier) and openai_list_models (0.7.x, with .id).
const fixtureCommonTable = `class CommonRoutingTableImpl:
    async def get_object_by_identifier(self, type, identifier):
        return identifier

async def lookup_model(routing_table, model_id):
    return await routing_table.get_object_by_identifier("model", model_id)
`

const fixtureRoutingTable = `from .common import CommonRoutingTableImpl, lookup_model

class Model:
    def __init__(self, **fields):
        self.__dict__.update(fields)
    def model_copy(self, update):
        return Model(**dict(self.__dict__, **update))

class Listed:
    def __init__(self, data):
        self.data = data

class ModelsRoutingTable(CommonRoutingTableImpl):
    async def list_models(self):
        return Listed([Model(identifier="openai/gpt-4o")])
    async def openai_list_models(self):
        return Listed([Model(id="openai/gpt-4o")])
`

const fixtureLlamaMain = `
def main():
    from llama_stack.core.routing_tables import models
    table = models.ModelsRoutingTable()
    names = ["gpt-4o", "publishers/llm/models/gpt-4o", "openai/gpt-4o", "unknown"]
    lookups = {n: asyncio.run(models.lookup_model(table, n)) for n in names}
    listed = [m.identifier for m in asyncio.run(table.list_models()).data]
    listed_openai = [m.id for m in asyncio.run(table.openai_list_models()).data]
    assert listed == listed_openai, (listed, listed_openai)
    record(dict(lookups=lookups, listed=listed))
`

type startupRecord struct {
	Argv    []string          `json:"argv"`
	Cwd     string            `json:"cwd"`
	Env     map[string]string `json:"env"`
	Config  map[string]any    `json:"config"`
	Lookups map[string]string `json:"lookups"`
	Listed  []string          `json:"listed"`
}

// TestStartupContract runs the start-up for each line, UID, HOME and TLS setting.
func TestStartupContract(t *testing.T) {
	if os.Geteuid() != 0 {
		testskip.Skip(t, "the start-up as other UIDs (fn/startup): setpriv needs root, and these tests do not run as root")
	}
	python := "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import yaml").CombinedOutput(); err != nil {
		t.Fatalf("the start-up contract needs Debian's python3 with PyYAML (.ci/run installs python3-yaml): %s", out)
	}
	for _, line := range []string{"llama-stack", "ogx"} {
		for _, user := range []struct{ name, uid, gid string }{{"image-user", "1001", "1001"}, {"openshift", "1000680000", "0"}} {
			for _, home := range []string{"/", "/home"} {
				for _, tls := range []bool{true, false} {
					name := strings.Join([]string{line, user.name, "HOME=" + home, map[bool]string{true: "https", false: "http"}[tls]}, "/")
					t.Run(name, func(t *testing.T) {
						rec, data := runStartup(t, python, line, user.uid, user.gid, home, tls)
						checkStartup(t, rec, data, line, tls)
					})
				}
			}
		}
	}
}

// pod is a start-up laid out as KServe's main container has it: the image (a fixture of the
// line's package), its WORKDIR, which the UID cannot write, and the pod's two volumes.
type pod struct{ root, bin, workdir, data, startupDir, record string }

func newPod(t *testing.T, python, line string, cfg *config.Config) pod {
	t.Helper()
	root, err := os.MkdirTemp("", "startup-contract-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	require.NoError(t, os.Chmod(root, 0o755))
	for path, content := range fixtureFiles[line] {
		full := filepath.Join(root, "image", path)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o755))
	}
	p := pod{root: root, bin: filepath.Join(root, "image", "bin"), workdir: filepath.Join(root, "app"),
		data: filepath.Join(root, "data"), startupDir: filepath.Join(root, "startup")}
	p.record = filepath.Join(p.data, "record.json")
	require.NoError(t, os.MkdirAll(p.bin, 0o755))
	require.NoError(t, os.Symlink(python, filepath.Join(p.bin, "python3")))
	require.NoError(t, os.Mkdir(p.workdir, 0o555))
	require.NoError(t, os.Mkdir(p.data, 0o777))
	require.NoError(t, os.Chmod(p.data, 0o777))
	require.NoError(t, os.Mkdir(p.startupDir, 0o755))
	isvc := yaml.MustParse("apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nmetadata: {name: openai-llamastack, namespace: llm}\n")
	// The pod's projected volume: the program's files and settings.json in one folder.
	for name, content := range llamastack.Program() {
		require.NoError(t, os.WriteFile(filepath.Join(p.startupDir, name), []byte(content), 0o644))
	}
	settings := strings.Replace(Settings(isvc, cfg), `"dataDir": "`+DataDir+`"`, `"dataDir": "`+p.data+`"`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(p.startupDir, SettingsFile), []byte(settings), 0o644))
	return p
}

func runStartup(t *testing.T, python, line, uid, gid, home string, tls bool) (startupRecord, string) {
	t.Helper()
	p := newPod(t, python, line, startupConfig(t, line, tls))
	root, data := p.root, p.data
	out, err := serveUntilRecorded(t, p, uid, gid, home)
	require.NoError(t, err, "the start-up did not stop cleanly on SIGTERM:\n%s", out)
	require.NotContains(t, out, "canary-key-0451", "the start-up never prints a credential")
	var rec startupRecord
	b, err := os.ReadFile(p.record)
	require.NoError(t, err, "the server was not started:\n%s", out)
	require.NoError(t, json.Unmarshal(b, &rec))

	// Nothing written anywhere but the data volume.
	wantUID := uid
	require.NoError(t, filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || strings.HasPrefix(path, data) {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st != nil {
			require.NotEqual(t, wantUID, strconv.FormatUint(uint64(st.Uid), 10), "%s was written outside the data volume", path)
		}
		return nil
	}))
	return rec, data
}

// command is the pod's main container: the rendered script as uid:gid in the WORKDIR.
func (p pod) command(uid, gid, home string, extraEnv ...string) *exec.Cmd {
	script := strings.ReplaceAll(Script, Dir, p.startupDir)
	cmd := exec.Command("setpriv", "--reuid", uid, "--regid", gid, "--clear-groups", "/bin/sh", "-c", script)
	cmd.Dir = p.workdir
	cmd.Env = append([]string{"PATH=" + p.bin + ":/usr/bin:/bin", "PYTHONPATH=" + filepath.Join(p.root, "image", "site"), "HOME=" + home,
		"PYTHONDONTWRITEBYTECODE=1", "RECORD=" + p.record, "OPENAI_API_KEY=canary-key-0451"}, extraEnv...)
	return cmd
}

// serveUntilRecorded starts the start-up, waits until the (fixture) server has recorded what
// it was handed, then stops it as the kubelet does, with SIGTERM to the container's first
// process, which must forward it and exit 0.
func serveUntilRecorded(t *testing.T, p pod, uid, gid, home string) (string, error) {
	t.Helper()
	var out strings.Builder
	cmd := p.command(uid, gid, home)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	for i := 0; i < 300; i++ {
		if _, err := os.Stat(p.record); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("still running 30 s after SIGTERM: the signal did not reach the server")
	}
}

func startupConfig(t *testing.T, line string, tls bool) *config.Config {
	t.Helper()
	l, ok := llamastack.LineNamed(line)
	require.True(t, ok)
	openai, _ := providers.Lookup("openai")
	return &config.Config{
		Providers: []config.ProviderConfig{{Provider: openai.ForLine(line), Model: "gpt-4o", SecretName: v1alpha1.DefaultSecretName("openai"),
			SecretKeys: map[string]string{"OPENAI_API_KEY": "api-key"}}},
		Line: l, LineFromImage: true, TLS: tls,
	}
}

func checkStartup(t *testing.T, rec startupRecord, data, line string, tls bool) {
	t.Helper()
	configFile := filepath.Join(data, "config", "config.yaml")
	switch line {
	case "ogx":
		want := []string{"ogx", "run", configFile}
		if !tls {
			want = append(want, "--insecure") // src/ogx/cli/stack/run.py: no TLS files need it
		}
		require.Equal(t, want, append([]string{filepath.Base(rec.Argv[0])}, rec.Argv[1:]...))
		require.Equal(t, "8000", rec.Env["OGX_PORT"])
		require.Equal(t, filepath.Join(data, "config"), rec.Env["OGX_CONFIG_DIR"])
	case "llama-stack":
		require.Equal(t, []string{"llama", "stack", "run", configFile}, rec.Argv)
		require.Equal(t, "8000", rec.Env["LLAMA_STACK_PORT"])
		require.Equal(t, filepath.Join(data, "config"), rec.Env["LLAMA_STACK_CONFIG_DIR"])
		// Every name resolves to the model the server registers; others are left alone.
		require.Equal(t, map[string]string{"gpt-4o": "openai/gpt-4o", "publishers/llm/models/gpt-4o": "openai/gpt-4o",
			"openai/gpt-4o": "openai/gpt-4o", "unknown": "unknown"}, rec.Lookups)
		require.ElementsMatch(t, []string{"openai/gpt-4o", "gpt-4o", "publishers/llm/models/gpt-4o"}, rec.Listed)
	}
	// Everything the server writes goes to the data volume, and it runs there (LS 0.3.0
	// writes ./None to the working directory).
	require.Equal(t, data, rec.Cwd)
	for _, key := range []string{"HOME", "TMPDIR", "SQLITE_STORE_DIR", "MILVUS_DB_PATH", "FILES_STORAGE_DIR"} {
		require.True(t, strings.HasPrefix(rec.Env[key], data+"/"), "%s is %q, outside the data volume", key, rec.Env[key])
	}

	// Only the configured provider's inference, with a plain id, and the inline one.
	providersByID := map[string]string{}
	for _, p := range rec.Config["providers"].(map[string]any)["inference"].([]any) {
		entry := p.(map[string]any)
		providersByID[entry["provider_id"].(string)] = entry["provider_type"].(string)
	}
	require.Equal(t, map[string]string{"openai": "remote::openai", "sentence-transformers": "inline::sentence-transformers"}, providersByID)

	server := rec.Config["server"].(map[string]any)
	require.EqualValues(t, 8000, server["port"])
	if tls {
		require.Equal(t, kserve.TLSMountPath+"/tls.crt", server["tls_certfile"])
		require.Equal(t, kserve.TLSMountPath+"/tls.key", server["tls_keyfile"])
	} else {
		require.NotContains(t, server, "tls_certfile")
		require.NotContains(t, server, "tls_keyfile")
	}
	resources := rec.Config["registered_resources"].(map[string]any)
	require.Empty(t, resources["shields"], "the starter's shields name models this service does not serve")
	var models []string
	for _, m := range resources["models"].([]any) {
		entry := m.(map[string]any)
		require.Equal(t, "openai", entry["provider_id"])
		require.Equal(t, "gpt-4o", entry["provider_model_id"])
		models = append(models, entry["model_id"].(string))
		if line == "ogx" {
			require.Equal(t, map[string]any{"_unprefixed_alias": true}, entry["metadata"], "OGX keeps such a model_id as the identifier")
		}
	}
	if line == "ogx" {
		require.Equal(t, []string{"gpt-4o", "publishers/llm/models/gpt-4o"}, models)
	} else {
		require.Equal(t, []string{"gpt-4o"}, models, "registered as openai/gpt-4o; the other names by lookup")
	}
}

// TestModelNames: each provider's model answers to its own names; a name two providers would
// share goes to the first; without a namespace the publishers name is missing; on the
// llama-stack line with a MaaSModelRef, the first model also answers to the service's name.
var ogx, _ = llamastack.LineNamed("ogx")

func TestModelNames(t *testing.T) {
	ls, _ := llamastack.LineNamed("llama-stack")
	provider := func(name, model string) config.ProviderConfig {
		p, _ := providers.Lookup(name)
		return config.ProviderConfig{Provider: p, Model: model}
	}
	withNamespace := yaml.MustParse("metadata: {name: svc, namespace: llm}")
	without := yaml.MustParse("metadata: {name: svc}")
	for _, tc := range []struct {
		name string
		isvc *yaml.RNode
		cfg  config.Config
		want map[string][]string
	}{
		{"several providers", withNamespace, config.Config{Line: ogx, Providers: []config.ProviderConfig{provider("openai", "gpt-4o"), provider("anthropic", "claude-sonnet-4-20250514")}},
			map[string][]string{"openai": {"gpt-4o", "publishers/llm/models/gpt-4o"}, "anthropic": {"claude-sonnet-4-20250514", "publishers/llm/models/claude-sonnet-4-20250514"}}},
		{"a shared name goes to the first", withNamespace, config.Config{Line: ogx, Providers: []config.ProviderConfig{provider("openai", "gpt-4o"), provider("azure", "gpt-4o")}},
			map[string][]string{"openai": {"gpt-4o", "publishers/llm/models/gpt-4o"}}},
		{"no namespace", without, config.Config{Line: ogx, Providers: []config.ProviderConfig{provider("openai", "gpt-4o")}},
			map[string][]string{"openai": {"gpt-4o"}}},
		{"llama-stack line with a MaaSModelRef", withNamespace, config.Config{Line: ls, MaaS: &v1alpha1.MaaS{ModelRef: &v1alpha1.MaaSModelRef{}}, Providers: []config.ProviderConfig{provider("openai", "gpt-4o")}},
			map[string][]string{"openai": {"gpt-4o", "publishers/llm/models/gpt-4o", "svc"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ModelNames(tc.isvc, &tc.cfg))
		})
	}
}

// TestStartupConfigMapName: the name changes with the content, and only with it.
func TestStartupConfigMapName(t *testing.T) {
	isvc := yaml.MustParse("metadata: {name: svc, namespace: llm}")
	https, http := startupConfig(t, "ogx", true), startupConfig(t, "ogx", false)
	require.Equal(t, ConfigMapName(isvc, https), ConfigMapName(isvc, startupConfig(t, "ogx", true)))
	require.NotEqual(t, ConfigMapName(isvc, https), ConfigMapName(isvc, http))
	require.Regexp(t, `^svc-startup-[0-9a-f]{10}$`, ConfigMapName(isvc, https))
	require.NotContains(t, Settings(isvc, https), "api-key", "settings name no Secret")
}

// TestProgramConfigMapName: one name for the services of a namespace in a run, after its first
// service (or the service's own), whatever their settings.
func TestProgramConfigMapName(t *testing.T) {
	first, second := yaml.MustParse("metadata: {name: first, namespace: llm}"), yaml.MustParse("metadata: {name: second, namespace: llm}")
	own, shared := startupConfig(t, "ogx", true), startupConfig(t, "llama-stack", false)
	shared.ProgramService = "first"
	require.Regexp(t, `^first-program-[0-9a-f]{10}$`, ProgramConfigMapName(first, own))
	require.Equal(t, ProgramConfigMapName(first, own), ProgramConfigMapName(second, shared))
	require.Regexp(t, `^second-program-[0-9a-f]{10}$`, ProgramConfigMapName(second, own))
}

// TestStartupExitStatus: a server that stops on its own fails the container. OGX exits 0
// when it cannot reach PostgreSQL ("Application startup failed. Exiting."), which would
// leave a pod that looks Completed: the start-up turns that into a failure that names the
// database (never the password), and passes any other status on.
func TestStartupExitStatus(t *testing.T) {
	if os.Geteuid() != 0 {
		testskip.Skip(t, "the start-up as other UIDs (fn/startup): setpriv needs root, and these tests do not run as root")
	}
	postgres := &config.Postgres{Host: "pg.db.svc", Port: 5433, Database: "llamastack", User: "ls", PasswordSecret: "pg-secret", PasswordKey: "password"}
	for _, tc := range []struct {
		name, line, exit string
		postgres         *config.Postgres
		status           int
		says             string
	}{
		{"ogx exits 0 on PostgreSQL", "ogx", "0", postgres, 1, "the server exited with status 0 although nothing asked it to stop: it could not start on its PostgreSQL database (OGX exits so when it cannot connect): check that pg.db.svc:5433 is reachable from the pod, that database llamastack and user ls exist, and that Secret pg-secret holds the user's password"},
		{"llama-stack exits 0 on SQLite", "llama-stack", "0", nil, 1, "the server exited with status 0 although nothing asked it to stop: its log above says why it stopped"},
		{"another status is passed on", "ogx", "3", nil, 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := startupConfig(t, tc.line, false)
			cfg.Postgres = tc.postgres
			p := newPod(t, "/usr/bin/python3", tc.line, cfg)
			out, err := p.command("1001", "0", "/", "FIXTURE_EXIT="+tc.exit, "POSTGRES_PASSWORD=canary-pg-0451").CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s", out)
			require.Equal(t, tc.status, exit.ExitCode(), "%s", out)
			require.Contains(t, string(out), tc.says)
			require.NotContains(t, string(out), "canary", "never a credential")
		})
	}
}
