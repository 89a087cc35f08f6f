package servers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// standIn is an OpenAI-compatible provider that records what reaches it: the credential and
// the model of every request.
type standIn struct {
	*httptest.Server
	mu       sync.Mutex
	requests []standInRequest
}

type standInRequest struct {
	Path, Authorization, Model string
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	s := &standIn{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		s.record(r, "")
		writeJSON(w, map[string]any{"object": "list", "data": []map[string]any{
			{"id": "gpt-4o", "object": "model", "created": 0, "owned_by": "stand-in"},
			{"id": "meta-llama/Llama-3.1-8B-Instruct", "object": "model", "created": 0, "owned_by": "stand-in"},
		}})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model string `json:"model"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.record(r, body.Model)
		writeJSON(w, map[string]any{
			"id": fmt.Sprintf("chatcmpl-standin-%d", len(s.seen())), "object": "chat.completion", "created": 1, "model": body.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": "hello from the stand-in"}}},
			"usage":   map[string]any{"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
		})
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) record(r *http.Request, model string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, standInRequest{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Model: model})
}

func (s *standIn) seen() []standInRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]standInRequest(nil), s.requests...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
