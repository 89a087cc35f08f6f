// Package testskip makes a skipped check visible: go test prints nothing of a passing
// package, so each skip is also written to the file that LLAMASTACK_INTEGRATION_SKIPS names,
// and make test prints that file's lines at the end of its run.
package testskip

import (
	"os"
	"testing"
)

// EnvVar names the file that collects the reasons of skipped checks.
const EnvVar = "LLAMASTACK_INTEGRATION_SKIPS"

// Skip records why t's checks did not run here, then skips t.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if path := os.Getenv(EnvVar); path != "" {
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			_, _ = f.WriteString(reason + "\n")
			_ = f.Close()
		}
	}
	t.Skip(reason)
}
