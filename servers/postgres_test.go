package servers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llamastack-integration/llamastack-integration/internal/testport"

	"github.com/stretchr/testify/require"

	"github.com/llamastack-integration/llamastack-integration/internal/testskip"
)

// postgres starts Debian's PostgreSQL as its own unprivileged user (../shared's postgres.sh),
// on a free port of 127.0.0.1, with a role and a database for the server, and stops it when
// the test ends. It returns the port.
func postgres(t *testing.T, user, password, database string) string {
	t.Helper()
	postgresPort := fmt.Sprint(testport.Free(t))
	script := filepath.Join("..", "..", "shared", "odhogxruntime", "postgres.sh")
	if _, err := os.Stat(script); err != nil {
		testskip.Skip(t, "the servers' state in PostgreSQL: ../shared/odhogxruntime/postgres.sh is absent")
	}
	dir := filepath.Join(hostDir(t), "pg")
	out, err := exec.Command("sh", script, "start", dir, postgresPort, user, password, database).CombinedOutput()
	require.NoError(t, err, "starting PostgreSQL (.ci/run installs Debian's postgresql): %s", out)
	t.Cleanup(func() { _ = exec.Command("sh", script, "stop", dir).Run() })
	return postgresPort
}

// postgresSpec is the functionConfig of a line's image with its state in the tests' database.
func postgresSpec(sl serverLine, provider *standIn, postgresPort, user string) string {
	return fmt.Sprintf(`    provider: openai
    image: %s
    tls: false
    settings: {OPENAI_BASE_URL: '%s/v1'}
    storage:
      postgres: {host: 127.0.0.1, port: %s, database: llamastack, user: %s, passwordSecret: {name: llamastack-postgres}}
`, sl.image, provider.URL, postgresPort, user)
}

// TestServersSharePostgres: on the lines whose images carry PostgreSQL's drivers, two
// servers started one after the other from the same rendered pod share their state: a chat
// completion stored through the first is listed through the second (GET /v1/chat/completions,
// from the inference store). A password the database refuses, or a user or host the function
// wrote wrong, fails the container with a message that names the database, never as a
// server that exits 0.
func TestServersSharePostgres(t *testing.T) {
	for _, sl := range serverLines {
		if sl.line != "odh-ogx" && sl.line != "odh-llama-stack" {
			continue
		}
		t.Run(sl.line, func(t *testing.T) {
			runtime := runtimeOf(t, sl)
			port := postgres(t, "llamastack", "pg-canary-0451", "llamastack")
			provider := newStandIn(t)
			secrets := map[string]map[string]string{"openai-openai-api-key": {"api-key": canary}, "llamastack-postgres": {"password": "pg-canary-0451"}}
			service, configMap := render(t, postgresSpec(sl, provider, port, "llamastack"))
			first := start(t, sl, runtime, openShiftUID, "0", newPod(t, service, configMap, secrets), false)
			status, body := first.chat(t, "gpt-4o")
			require.Equal(t, http.StatusOK, status, body)
			var completion struct{ ID string }
			require.NoError(t, json.Unmarshal([]byte(body), &completion))
			require.Equal(t, 0, first.stop(t), first.log())

			second := start(t, sl, runtime, sl.uid, sl.gid, newPod(t, service, configMap, secrets), false)
			require.Contains(t, storedCompletions(t, second), completion.ID, "the second server lists what the first stored")
			require.Equal(t, 0, second.stop(t), second.log())
			require.NotContains(t, first.log()+second.log(), "pg-canary-0451", "the password is never in the log")
		})
	}
}

// TestServersFailOnTheirDatabase: a database that refuses the server fails the container with
// a status other than 0 and a line that names what to check; the function's own mistakes (a
// wrong user or host) would show the same way.
func TestServersFailOnTheirDatabase(t *testing.T) {
	for _, sl := range serverLines {
		if sl.line != "odh-ogx" && sl.line != "odh-llama-stack" {
			continue
		}
		for _, tc := range []struct{ name, user, password string }{
			{"wrong password", "llamastack", "not-the-password"},
			{"wrong user", "nobody", "pg-canary-0451"},
		} {
			t.Run(sl.line+"/"+tc.name, func(t *testing.T) {
				runtime := runtimeOf(t, sl)
				port := postgres(t, "llamastack", "pg-canary-0451", "llamastack")
				provider := newStandIn(t)
				service, configMap := render(t, postgresSpec(sl, provider, port, tc.user))
				secrets := map[string]map[string]string{"openai-openai-api-key": {"api-key": canary}, "llamastack-postgres": {"password": tc.password}}
				s := launch(t, sl, runtime, sl.uid, sl.gid, newPod(t, service, configMap, secrets), false)
				code := s.wait(90 * time.Second)
				require.NotEqual(t, 0, code, "the container must not look Completed:\n%s", s.log())
				require.NotEqual(t, -1, code, "still running with a database that refuses it:\n%s", s.log())
				require.Contains(t, s.log(), "Could not connect to PostgreSQL", "the server says why")
				if sl.line == "odh-ogx" {
					// OGX exits 0 here; the start-up turns that into a failure naming the database.
					require.Contains(t, s.log(), "could not start on its PostgreSQL database")
					require.Contains(t, s.log(), "127.0.0.1:"+port)
				}
			})
		}
	}
}

// storedCompletions lists the ids of GET /v1/chat/completions.
func storedCompletions(t *testing.T, s *server) string {
	t.Helper()
	resp, err := s.client.Get(s.base + "/v1/chat/completions?limit=100")
	require.NoError(t, err)
	defer resp.Body.Close()
	var listed struct {
		Data []struct{ ID string } `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&listed))
	var ids []string
	for _, c := range listed.Data {
		ids = append(ids, c.ID)
	}
	return strings.Join(ids, " ")
}
