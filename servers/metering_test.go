package servers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/internal/testskip"
)

// meteredProvider is a provider adapter whose streamed usage the metering test checks: the
// wire format of its API, and the functionConfig that points the adapter at the stand-in.
type meteredProvider struct {
	provider string
	wire     wireFormat
	// model is the model to serve (spec.model); the chat names it so.
	model string
	// settings are the rendered settings that reach the stand-in, from its URL; nil when the
	// adapter hard-codes its provider's host.
	settings func(url string) string
	// notRun says, by line, why the check cannot run there.
	notRun map[string]string
}

var meteredProviders = []meteredProvider{
	{provider: "openai", wire: openAIWire, model: "gpt-4o",
		settings: func(url string) string { return fmt.Sprintf("{OPENAI_BASE_URL: '%s/v1'}", url) }},
	{provider: "vllm", wire: vLLMWire, model: "meta-llama/Llama-3.1-8B-Instruct",
		settings: func(url string) string { return fmt.Sprintf("{VLLM_URL: '%s/v1'}", url) }},
	// LS v0.3.0 azure.py: urljoin(api_base, "/openai/v1"); LS v0.7.1 and OGX: base_url as given.
	{provider: "azure", wire: azureWire, model: "gpt-4.1",
		settings: func(url string) string { return fmt.Sprintf("{AZURE_API_BASE: '%s/openai/v1'}", url) }},
	{provider: "anthropic", wire: anthropicWire, model: "claude-3-5-sonnet-20241022",
		notRun: map[string]string{"llama-stack": "Llama Stack v0.3.0 registers an Anthropic model only after listing it with " +
			"the anthropic SDK (openai_mixin.py register_model, anthropic.py list_provider_model_ids), which the test " +
			"runtime lacks (a stub: no sources in ../shared/upstream)"}},
	{provider: "gemini", wire: geminiWire, model: "gemini-2.0-flash"},
	{provider: "bedrock", wire: bedrockWire, model: "meta.llama3-1-70b-instruct-v1:0",
		notRun: map[string]string{"llama-stack": "Llama Stack v0.3.0's bedrock adapter streams through boto3's " +
			"InvokeModelWithResponseStream (AWS event-stream framing), which no stand-in speaks"}},
}

// caMount is where the pod finds the stand-in's CA, for SSL_CERT_FILE.
const caMount = "/var/run/stand-in-ca"

// TestMeteringStreamsUsageOnce: on every line, for every provider adapter the line ships, a
// streamed chat that asks for usage (stream_options.include_usage, which MaaS forces so that
// Kuadrant's token limits can count) gets exactly one chunk with usage, holding the
// provider's counts, however the provider streams them; a chat that does not ask gets none.
// One server per line serves every provider (spec.providers), each from its own stand-in
// (one server per provider where the server stalls: storeStalls).
func TestMeteringStreamsUsageOnce(t *testing.T) {
	for _, sl := range serverLines {
		line, ok := llamastack.LineNamed(sl.line)
		require.True(t, ok, sl.line)
		runtime := runtimeOf(t, sl)
		t.Run(sl.line, func(t *testing.T) {
			begun := time.Now()
			var served []meteredProvider
			for _, mp := range meteredProviders {
				if len(line.Providers) > 0 && !slices.Contains(line.Providers, mp.provider) {
					continue // the image ships no such provider
				}
				if reason, ok := mp.notRun[sl.line]; ok {
					t.Run(mp.provider, func(t *testing.T) {
						testskip.Skip(t, fmt.Sprintf("streamed usage of %s on the %s line: %s", mp.provider, sl.line, reason))
					})
					continue
				}
				served = append(served, mp)
			}
			for _, group := range serverGroups(sl.line, served) {
				server, standIns := startMetered(t, sl, runtime, group)
				for _, mp := range group {
					t.Run(mp.provider, func(t *testing.T) {
						chunks := server.streamChat(t, mp.model, true)
						usage := usageChunks(chunks)
						require.Len(t, usage, 1, "exactly one chunk carries usage (%s's wire format); chunks: %s\n%s", mp.wire.name, chunks, server.log())
						require.Equal(t, mp.wire.usage, usage[0], "the provider's counts, on a chunk with no choices")
						require.Empty(t, usageChunks(server.streamChat(t, mp.model, false)), "no usage unless asked")
						require.Equal(t, []map[string]any{{"include_usage": true}, nil}, standIns[mp.provider].seenOptions(),
							"the provider is asked for usage when, and only when, the client asks")
					})
				}
				server.kill()
			}
			t.Logf("%s: %d providers in %s", sl.line, len(served), time.Since(begun).Round(100*time.Millisecond))
		})
	}
}

// storeStalls are the lines whose server, on SQLite, stops answering chats after about four:
// Llama Stack v0.7.1's SQL store creates its tables once, when a store first uses the shared
// sql_default engine (core/storage/sqlstore/sqlalchemy_sqlstore.py _ensure_engine), and the
// inference store registers its table after that, so storing each chat fails ("no such
// table: inference_store"). The ODH image's line runs on PostgreSQL here (see startMetered).
var storeStalls = map[string]bool{"llama-stack-0.7": true}

// serverGroups are the providers of each server the line's test starts: one server for all,
// or, where the server stalls after a few chats, one for each.
func serverGroups(line string, served []meteredProvider) [][]meteredProvider {
	if !storeStalls[line] {
		return [][]meteredProvider{served}
	}
	var groups [][]meteredProvider
	for _, mp := range served {
		groups = append(groups, []meteredProvider{mp})
	}
	return groups
}

// startMetered renders one service for the line with the providers, each pointed at a
// stand-in of its own, and starts it (the image's user, plain HTTP).
func startMetered(t *testing.T, sl serverLine, runtime string, served []meteredProvider) (*server, map[string]*streamStandIn) {
	t.Helper()
	hosts := newProviderHosts(t)
	standIns := map[string]*streamStandIn{}
	spec := fmt.Sprintf("    image: %s\n    tls: false\n", sl.image)
	if line, _ := llamastack.LineNamed(sl.line); line.Postgres {
		// The ODH images keep their state in PostgreSQL. (On SQLite, Llama Stack
		// v0.7.1+rhaiv.1 fails to store streamed chats, "no such table: inference_store",
		// and stops answering after a few.)
		port := postgres(t, "llamastack", canary, "llamastack")
		spec += fmt.Sprintf("    storage:\n      postgres: {host: 127.0.0.1, port: %s, database: llamastack, user: llamastack, "+
			"passwordSecret: {name: llamastack-postgres}}\n", port)
	}
	spec += "    providers:\n"
	for _, mp := range served {
		standIn := newStreamStandIn(t, mp.wire, mp.model, hosts)
		standIns[mp.provider] = standIn
		spec += fmt.Sprintf("      - provider: %s\n        model: %q\n", mp.provider, mp.model)
		if mp.settings != nil {
			spec += "        settings: " + mp.settings(standIn.url) + "\n"
		}
	}
	service, configMap := render(t, spec)
	p := newPod(t, service, configMap, secretsOf(t, service))
	p.env = append(p.env, "HTTPS_PROXY="+hosts.proxy, "SSL_CERT_FILE="+caMount+"/ca.crt")
	p.mounts = append(p.mounts, hosts.caDir+":"+caMount)
	return start(t, sl, runtime, sl.uid, sl.gid, p, false), standIns
}

// secretsOf gives every Secret key the service reads the canary as its value: the keys of
// its env's secretKeyRefs, and the files its env names in a mounted Secret (ODH's OGX
// entrypoint reads <VAR>_FILE).
func secretsOf(t *testing.T, service *yaml.RNode) map[string]map[string]string {
	t.Helper()
	var spec struct {
		Containers []struct {
			Env []struct {
				Value     string `yaml:"value"`
				ValueFrom *struct {
					SecretKeyRef *struct{ Name, Key string } `yaml:"secretKeyRef"`
				} `yaml:"valueFrom"`
			} `yaml:"env"`
			VolumeMounts []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
		Volumes []struct {
			Name   string `yaml:"name"`
			Secret *struct {
				SecretName string `yaml:"secretName"`
			} `yaml:"secret"`
		} `yaml:"volumes"`
	}
	template, err := service.Pipe(yaml.Lookup("spec", "template"))
	require.NoError(t, err)
	require.NoError(t, template.YNode().Decode(&spec))
	secretOfVolume := map[string]string{}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			secretOfVolume[v.Name] = v.Secret.SecretName
		}
	}
	secrets := map[string]map[string]string{}
	add := func(name, key string) {
		if secrets[name] == nil {
			secrets[name] = map[string]string{}
		}
		secrets[name][key] = canary
	}
	for _, c := range spec.Containers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			for _, m := range c.VolumeMounts {
				if key, ok := strings.CutPrefix(e.Value, m.MountPath+"/"); ok && secretOfVolume[m.Name] != "" {
					add(secretOfVolume[m.Name], key)
				}
			}
		}
	}
	return secrets
}

// streamChat posts a streamed chat completion, asking for usage or not, and returns the
// chunks of the event stream.
func (s *server) streamChat(t *testing.T, model string, includeUsage bool) []map[string]any {
	t.Helper()
	options := ""
	if includeUsage {
		options = `, "stream_options": {"include_usage": true}`
	}
	body := fmt.Sprintf(`{"model": %q, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16, "stream": true%s}`, model, options)
	resp, err := s.client.Post(s.base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err, "streamed chat with %s:\n%s", model, s.log())
	defer resp.Body.Close()
	var chunks []map[string]any
	scanner := bufio.NewScanner(resp.Body)
	var raw strings.Builder
	for scanner.Scan() {
		raw.WriteString(scanner.Text() + "\n")
		data, ok := strings.CutPrefix(scanner.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk map[string]any
		require.NoError(t, json.Unmarshal([]byte(data), &chunk), "an event of the stream: %s", data)
		chunks = append(chunks, chunk)
	}
	require.NoError(t, scanner.Err())
	require.Equal(t, http.StatusOK, resp.StatusCode, "streamed chat with %s: %s\n%s", model, raw.String(), s.log())
	require.NotEmpty(t, chunks, "streamed chat with %s: %s\n%s", model, raw.String(), s.log())
	return chunks
}

// usageChunks are the token counts of the chunks that carry usage; an OpenAI usage chunk has
// no choices, so one with choices counts as "choices" too.
func usageChunks(chunks []map[string]any) []map[string]int {
	var usage []map[string]int
	for _, c := range chunks {
		u, ok := c["usage"].(map[string]any)
		if !ok {
			continue
		}
		counts := map[string]int{}
		if choices, _ := c["choices"].([]any); len(choices) > 0 {
			counts["choices"] = len(choices)
		}
		for _, key := range []string{"prompt_tokens", "completion_tokens", "total_tokens"} {
			if n, ok := u[key].(float64); ok {
				counts[key] = int(n)
			}
		}
		usage = append(usage, counts)
	}
	return usage
}
