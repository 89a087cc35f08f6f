// Package testport gives tests a TCP port of 127.0.0.1 that nothing listens on, for a
// server they start (the API server, Argo CD's repo-server, Llama Stack).
package testport

import (
	"net"
	"testing"
)

// Free returns a port nothing listens on now.
func Free(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
