package servers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// wireFormat is how a provider's API streams a chat completion and its token usage, at the
// endpoint the server's adapter calls. Every adapter here calls an OpenAI-compatible chat
// completions endpoint (OpenAIMixin, at LS v0.3.0 and v0.7.1, OGX v1.2.2 and v1.3.0), but each
// provider's endpoint streams usage its own way.
type wireFormat struct {
	// name says whose endpoint this is.
	name string
	// hosts, when set, are the provider's own host names, which the adapter hard-codes
	// (get_base_url): the server reaches the stand-in there through the pod's HTTPS_PROXY,
	// with the stand-in's CA in SSL_CERT_FILE. Empty: the stand-in is the rendered base-URL
	// setting's target.
	hosts []string
	// paths are where the adapters of the lines post the chat.
	paths []string
	// prologue is a chunk the provider sends before the content (Azure's content-filter
	// results, with no choices and no usage).
	prologue map[string]any
	// usageOnEveryChunk: the provider puts its running usage on every chunk, not on one final
	// chunk with no choices (Gemini's OpenAI-compatible endpoint: ogx-ai/ogx#5122).
	usageOnEveryChunk bool
	// usage is what the provider counts for the test's chat.
	usage map[string]int
}

// The wire formats of the adapters, each with counts of its own so that no count can come
// from another provider or from the server.
var (
	openAIWire = wireFormat{name: "OpenAI", paths: []string{"/v1/chat/completions"},
		usage: map[string]int{"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}}
	vLLMWire = wireFormat{name: "vLLM", paths: []string{"/v1/chat/completions"},
		usage: map[string]int{"prompt_tokens": 13, "completion_tokens": 6, "total_tokens": 19}}
	azureWire = wireFormat{name: "Azure OpenAI", paths: []string{"/openai/v1/chat/completions"},
		prologue: map[string]any{"id": "", "object": "", "created": 0, "model": "", "choices": []any{},
			"prompt_filter_results": []map[string]any{{"prompt_index": 0, "content_filter_results": map[string]any{}}}},
		usage: map[string]int{"prompt_tokens": 17, "completion_tokens": 7, "total_tokens": 24}}
	// LS v0.3.0 and v0.7.1, OGX v1.3.0 providers/remote/inference/anthropic/anthropic.py:
	// get_base_url "https://api.anthropic.com/v1", through the OpenAI client; Anthropic's
	// OpenAI SDK compatibility supports stream_options (the final usage chunk).
	anthropicWire = wireFormat{name: "Anthropic (OpenAI SDK compatibility)", hosts: []string{"api.anthropic.com"}, paths: []string{"/v1/chat/completions"},
		usage: map[string]int{"prompt_tokens": 19, "completion_tokens": 8, "total_tokens": 27}}
	// providers/remote/inference/gemini/gemini.py: get_base_url
	// "https://generativelanguage.googleapis.com/v1beta/openai/".
	geminiWire = wireFormat{name: "Gemini (OpenAI compatibility)", hosts: []string{"generativelanguage.googleapis.com"},
		paths: []string{"/v1beta/openai/chat/completions"}, usageOnEveryChunk: true,
		usage: map[string]int{"prompt_tokens": 23, "completion_tokens": 9, "total_tokens": 32}}
	// LS v0.7.1 providers/remote/inference/bedrock/bedrock.py: get_base_url
	// "https://bedrock-mantle.{region}.api.aws/v1"; OGX v1.3.0: chats at
	// "https://bedrock-runtime.{region}.amazonaws.com/openai/v1", lists models at the mantle
	// endpoint (region us-east-2 by default). Bedrock's OpenAI-compatible Chat Completions
	// API, streamed as OpenAI's (the final usage chunk).
	bedrockWire = wireFormat{name: "Bedrock (OpenAI-compatible)", hosts: []string{"bedrock-mantle.us-east-2.api.aws", "bedrock-runtime.us-east-2.amazonaws.com"},
		paths: []string{"/v1/chat/completions", "/openai/v1/chat/completions"},
		usage: map[string]int{"prompt_tokens": 29, "completion_tokens": 10, "total_tokens": 39}}
)

// streamWords is the content the stand-ins stream, one chunk a word.
var streamWords = []string{"metered ", "by ", "the ", "provider"}

// streamStandIn is a provider that streams chats in one wire format and records the
// stream_options of each.
type streamStandIn struct {
	wire    wireFormat
	url     string // the base URL to render, when wire.hosts is empty
	mu      sync.Mutex
	options []map[string]any
}

func newStreamStandIn(t *testing.T, wire wireFormat, model string, hosts *providerHosts) *streamStandIn {
	t.Helper()
	s := &streamStandIn{wire: wire}
	mux := http.NewServeMux()
	for _, path := range wire.paths {
		mux.HandleFunc("POST "+path, s.chat)
	}
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		// LS v0.3.0 registers a model only if the provider lists it (openai_mixin.py
		// register_model); other GETs are health checks.
		writeJSON(w, map[string]any{"object": "list", "data": []map[string]any{{"id": model, "object": "model", "created": 0, "owned_by": "stand-in"}}})
	})
	if len(wire.hosts) > 0 {
		for _, host := range wire.hosts {
			hosts.serve(t, host, mux)
		}
		return s
	}
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	s.url = server.URL
	return s
}

// chat streams the answer as the provider does, with usage only if asked.
func (s *streamStandIn) chat(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model         string         `json:"model"`
		StreamOptions map[string]any `json:"stream_options"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	s.options = append(s.options, body.StreamOptions)
	id := fmt.Sprintf("chatcmpl-%s-%d", strings.ReplaceAll(strings.ToLower(s.wire.name), " ", "-"), len(s.options))
	s.mu.Unlock()
	withUsage := body.StreamOptions["include_usage"] == true
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(chunk map[string]any) {
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	if s.wire.prologue != nil {
		send(s.wire.prologue)
	}
	for i, word := range streamWords {
		chunk := chunkOf(id, body.Model, map[string]any{"index": 0, "delta": map[string]any{"content": word}, "finish_reason": nil})
		if i == len(streamWords)-1 {
			chunk["choices"].([]map[string]any)[0]["finish_reason"] = "stop"
		}
		switch {
		case withUsage && s.wire.usageOnEveryChunk:
			chunk["usage"] = s.runningUsage(i + 1)
		case withUsage:
			chunk["usage"] = nil // OpenAI: null on every chunk but the last
		}
		send(chunk)
	}
	if withUsage && !s.wire.usageOnEveryChunk {
		chunk := chunkOf(id, body.Model)
		chunk["usage"] = s.wire.usage
		send(chunk)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func chunkOf(id, model string, choices ...map[string]any) map[string]any {
	if choices == nil {
		choices = []map[string]any{}
	}
	return map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1, "model": model, "choices": choices}
}

// runningUsage is the usage after n of the words: the prompt, and the completion so far; the
// last word's is the provider's count.
func (s *streamStandIn) runningUsage(n int) map[string]int {
	completion := s.wire.usage["completion_tokens"] - (len(streamWords) - n)
	return map[string]int{"prompt_tokens": s.wire.usage["prompt_tokens"], "completion_tokens": completion,
		"total_tokens": s.wire.usage["prompt_tokens"] + completion}
}

// seenOptions are the stream_options of the chats that reached the stand-in.
func (s *streamStandIn) seenOptions() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.options...)
}

// providerHosts stands in for the providers' own hosts: an HTTP proxy (the pod's HTTPS_PROXY)
// that tunnels CONNECT <host>:443 to a TLS server of the test's, whose certificate for <host>
// is signed by a CA of the test's (the pod's SSL_CERT_FILE). It tunnels nowhere else, so the
// server reaches nothing but those hosts.
type providerHosts struct {
	caKey  *ecdsa.PrivateKey
	ca     *x509.Certificate
	caDir  string // holds ca.crt
	proxy  string // the proxy's URL
	mu     sync.Mutex
	routes map[string]string // host:443 -> the TLS server's address
}

func newProviderHosts(t *testing.T) *providerHosts {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stand-in CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	h := &providerHosts{caKey: key, caDir: hostDir(t), routes: map[string]string{}}
	h.ca, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	writeFile(t, filepath.Join(h.caDir, "ca.crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o644)
	proxy := httptest.NewServer(http.HandlerFunc(h.connect))
	t.Cleanup(proxy.Close)
	h.proxy = proxy.URL
	return h
}

// serve answers https://host with handler.
func (h *providerHosts) serve(t *testing.T, host string, handler http.Handler) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, h.ca, &key.PublicKey, h.caKey)
	require.NoError(t, err)
	server := httptest.NewUnstartedServer(handler)
	server.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	server.StartTLS()
	t.Cleanup(server.Close)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.routes[host+":443"] = server.Listener.Addr().String()
}

func (h *providerHosts) connect(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	target, ok := h.routes[r.Host]
	h.mu.Unlock()
	if r.Method != http.MethodConnect || !ok {
		http.Error(w, "the stand-in proxy only tunnels to the providers' hosts", http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buffered, err := w.(http.Hijacker).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() {
		_, _ = io.Copy(upstream, buffered)
		upstream.Close()
	}()
	_, _ = io.Copy(conn, upstream)
	conn.Close()
}
