// Package servers runs the function's rendered start-up with the real Llama Stack and OGX
// servers, built from upstream sources by scripts/server-runtimes.sh (../shared), each in its
// image's file layout, as the image's UID and as an OpenShift UID, with TLS on and off, against
// a stand-in provider.
package servers

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"
)

// serverLine is one server line as the tests run it: the runtime that stands in for its
// image, the image's layout and user, and the image the functionConfig names.
type serverLine struct {
	line, runtime, layout, image string
	uid, gid                     string
}

var serverLines = []serverLine{
	{line: "llama-stack", runtime: "lls03", layout: "starter", image: "docker.io/llamastack/distribution-starter:0.3.0", uid: "1001", gid: "1001"},
	{line: "llama-stack-0.7", runtime: "lls07", layout: "starter", image: "docker.io/llamastack/distribution-starter:0.7.1", uid: "1001", gid: "1001"},
	{line: "odh-llama-stack", runtime: "odh-lls", layout: "odh-llama-stack", image: "quay.io/opendatahub/llama-stack:odh-stable", uid: "1001", gid: "0"},
	{line: "ogx", runtime: "ogx13", layout: "starter", image: "docker.io/ogxai/distribution-starter:1.3.0", uid: "1001", gid: "0"},
	{line: "odh-ogx", runtime: "odh-ogx", layout: "odh-ogx", image: "quay.io/opendatahub/odh-ogx-core:v3.5", uid: "1001", gid: "0"},
}

// openShiftUID is what OpenShift's restricted SCC runs a pod as.
const openShiftUID = "1000680000"

// canary is the provider credential in the test's Secret; it must reach the stand-in, and
// never the server's log.
const canary = "sk-servers-canary-0451"

// TestServersAnswerEveryName: on every line, as both users, with TLS on and off, the server
// started by the rendered start-up is healthy, lists every name the model answers to, and
// sends a chat with each of them to the provider with the Secret's key; SIGTERM stops it.
func TestServersAnswerEveryName(t *testing.T) {
	for _, sl := range serverLines {
		runtime := runtimeOf(t, sl)
		for _, uid := range []string{sl.uid, openShiftUID} {
			for _, tlsOn := range []bool{true, false} {
				gid := map[bool]string{true: sl.gid, false: "0"}[uid == sl.uid]
				t.Run(fmt.Sprintf("%s/uid=%s/tls=%t", sl.line, uid, tlsOn), func(t *testing.T) {
					provider := newStandIn(t)
					spec := fmt.Sprintf("    provider: openai\n    image: %s\n    tls: %t\n    settings: {OPENAI_BASE_URL: '%s/v1'}\n", sl.image, tlsOn, provider.URL)
					service, configMap := render(t, spec)
					p := newPod(t, service, configMap, map[string]map[string]string{"openai-openai-api-key": {"api-key": canary}})
					server := start(t, sl, runtime, uid, gid, p, tlsOn)
					names := []string{"gpt-4o", "publishers/llm/models/gpt-4o", "openai/gpt-4o"}
					require.Subset(t, server.models(t), names)
					for _, name := range names {
						status, body := server.chat(t, name)
						require.Equal(t, http.StatusOK, status, "chat with %s: %s\n%s", name, body, server.log())
					}
					chats := 0
					for _, r := range provider.seen() {
						require.Equal(t, "Bearer "+canary, r.Authorization, "the provider gets the Secret's key (%s)", r.Path)
						if r.Path == "/v1/chat/completions" {
							chats++
							require.Equal(t, "gpt-4o", r.Model, "the provider gets its own model name")
						}
					}
					require.Equal(t, len(names), chats)
					require.Equal(t, 0, server.stop(t), "SIGTERM stops the server cleanly:\n%s", server.log())
					require.NotContains(t, server.log(), canary, "the key is never in the log")
				})
			}
		}
	}
}

// runtimeOf builds (or finds) the line's runtime, or skips saying what is not verified.
func runtimeOf(t *testing.T, sl serverLine) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testskip.Skip(t, "the real servers (servers/): they run as other UIDs in namespaces of their own, which needs root")
	}
	out, err := exec.Command(filepath.Join("..", "scripts", "server-runtimes.sh"), sl.runtime).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		testskip.Skip(t, fmt.Sprintf("the %s line on its real server: %s", sl.line, strings.TrimSpace(string(out))))
	}
	require.NoError(t, err, "building the %s runtime: %s", sl.runtime, out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// server is a running pod.
type server struct {
	cmd    *exec.Cmd
	output *bytes.Buffer
	base   string
	client *http.Client
	done   chan int
}

// start runs the pod and waits until its health endpoint answers, as a startupProbe would.
func start(t *testing.T, sl serverLine, runtime, uid, gid string, p pod, tlsOn bool) *server {
	t.Helper()
	s := launch(t, sl, runtime, uid, gid, p, tlsOn)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("the server exited (%d) before it was healthy:\n%s", code, s.log())
		default:
		}
		if resp, err := s.client.Get(s.base + "/v1/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("not healthy after 90 s:\n%s", s.log())
	return nil
}

// launch runs the pod (pod.sh) as uid:gid.
func launch(t *testing.T, sl serverLine, runtime, uid, gid string, p pod, tlsOn bool) *server {
	t.Helper()
	args := append([]string{sl.layout, runtime, uid, gid}, p.mounts...)
	args = append(append(append(args, "--"), p.env...), "--")
	args = append(args, p.command...)
	s := &server{output: &bytes.Buffer{}, done: make(chan int, 1),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
	s.base = fmt.Sprintf("%s://127.0.0.1:%d", map[bool]string{true: "https", false: "http"}[tlsOn], p.port)
	s.cmd = exec.Command("./pod.sh", args...)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	require.NoError(t, s.cmd.Start())
	go func() {
		err := s.cmd.Wait()
		s.done <- exitCode(err)
	}()
	t.Cleanup(func() { s.kill() })
	return s
}

func (s *server) log() string { return s.output.String() }

// models lists the ids of GET /v1/models (OpenAI's id, or 0.3.x's identifier).
func (s *server) models(t *testing.T) []string {
	t.Helper()
	resp, err := s.client.Get(s.base + "/v1/models")
	require.NoError(t, err)
	defer resp.Body.Close()
	var listed struct {
		Data []struct{ ID, Identifier string } `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&listed))
	var ids []string
	for _, m := range listed.Data {
		ids = append(ids, m.ID+m.Identifier)
	}
	return ids
}

// chat posts a chat completion with model, stored where the server stores them.
func (s *server) chat(t *testing.T, model string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"model": %q, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16, "store": true}`, model)
	resp, err := s.client.Post(s.base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM to the pod's first process, as the kubelet does, and returns its exit
// status (-1 if it was still running a minute later and had to be killed: twice the
// kubelet's default grace period, since a loaded CI machine is slow to stop Python).
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.client.CloseIdleConnections()
	first := firstChild(s.cmd.Process.Pid)
	require.NotZero(t, first, "the pod's first process")
	require.NoError(t, syscall.Kill(first, syscall.SIGTERM))
	return s.wait(time.Minute)
}

// wait returns the pod's exit status once it ends by itself (-1 after timeout).
func (s *server) wait(timeout time.Duration) int {
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(timeout):
		s.kill()
		return -1
	}
}

func (s *server) kill() {
	if s.cmd.ProcessState == nil && s.cmd.Process != nil {
		if first := firstChild(s.cmd.Process.Pid); first != 0 {
			_ = syscall.Kill(first, syscall.SIGKILL) // ends its PID namespace, and everything in it
		}
		_ = s.cmd.Process.Kill()
	}
}

// firstChild is the PID (here) of unshare's child: the pod's PID 1.
func firstChild(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(fields[0])
	return n
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	return -1
}

// versionsWithoutSources are releases of a line that the tests cannot run until their
// sources are in ../shared/upstream: the llama-stack-0.7 line covers 0.4 to 0.7, and only
// 0.7.1 is there.
var versionsWithoutSources = []struct{ line, repo, tagPrefix string }{
	{"llama-stack-0.7", "llamastack+llama-stack", "v0.4."},
	{"llama-stack-0.7", "llamastack+llama-stack", "v0.5."},
	{"llama-stack-0.7", "llamastack+llama-stack", "v0.6."},
}

// TestLineVersionsNotRun says which releases of a line no test runs, so make test prints it.
func TestLineVersionsNotRun(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join("..", "..", "shared", "upstream", "MANIFEST.tsv"))
	if err != nil {
		testskip.Skip(t, "the real servers (servers/): ../shared/upstream/MANIFEST.tsv is absent")
	}
	for _, v := range versionsWithoutSources {
		if !strings.Contains(string(manifest), v.repo+"\t"+v.tagPrefix) {
			t.Run(v.line+"/"+v.tagPrefix, func(t *testing.T) {
				testskip.Skip(t, fmt.Sprintf("the %s line's %sx releases on their real server: %s at those tags is not in ../shared/upstream",
					v.line, v.tagPrefix, strings.Replace(v.repo, "+", "/", 1)))
			})
		}
	}
}
