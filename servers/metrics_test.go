package servers

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
)

// TestServersServeMetrics: on every line, with TLS on and off, a scrape the way Open Data Hub's
// PodMonitor makes it (odh-v3.5 llmisvc/monitoring.go: the API port, /metrics, no credentials,
// the certificate not verified; https there, which is the TLS-on case) answers Prometheus text
// in which the line's own counter went up with one chat (a line without one: the text answers).
func TestServersServeMetrics(t *testing.T) {
	for _, sl := range serverLines {
		runtime := runtimeOf(t, sl)
		line, ok := llamastack.LineNamed(sl.line)
		require.True(t, ok, sl.line)
		for _, tlsOn := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tls=%t", sl.line, tlsOn), func(t *testing.T) {
				provider := newStandIn(t)
				spec := fmt.Sprintf("    provider: openai\n    image: %s\n    tls: %t\n    settings: {OPENAI_BASE_URL: '%s/v1'}\n", sl.image, tlsOn, provider.URL)
				service, configMap := render(t, spec)
				p := newPod(t, service, configMap, map[string]map[string]string{"openai-openai-api-key": {"api-key": canary}})
				server := start(t, sl, runtime, sl.uid, sl.gid, p, tlsOn)
				before := server.scrape(t)[line.Metrics.Counter]
				status, body := server.chat(t, "gpt-4o")
				require.Equal(t, http.StatusOK, status, "chat: %s\n%s", body, server.log())
				if line.Metrics.Counter == "" {
					t.Logf("%s: /metrics answers, but %s", sl.line, line.Metrics.Counts)
				} else {
					// The servers record some metrics after the reply has gone.
					require.Eventually(t, func() bool {
						return server.scrape(t)[line.Metrics.Counter] > before
					}, 10*time.Second, 250*time.Millisecond, "%s (%s) counts the chat:\n%s", line.Metrics.Counter, line.Metrics.Counts, server.log())
				}
				require.Equal(t, 0, server.stop(t), "SIGTERM stops the server cleanly:\n%s", server.log())
			})
		}
	}
}

// scrape reads GET /metrics as Prometheus would and sums each metric's samples by name.
func (s *server) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := s.client.Get(s.base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s/metrics: %s\n%s", s.base, b, s.log())
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"), resp.Header.Get("Content-Type"))
	sums := map[string]float64{}
	lines := bufio.NewScanner(strings.NewReader(string(b)))
	for lines.Scan() {
		text := lines.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, _, _ := strings.Cut(text, "{")
		name, _, _ = strings.Cut(name, " ")
		value, err := strconv.ParseFloat(text[strings.LastIndex(text, " ")+1:], 64)
		require.NoError(t, err, "a sample line of the Prometheus text: %q", text)
		sums[name] += value
	}
	return sums
}
