package reference

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// Source is the Go source of the API package's types, as one file: types.go followed by
// the declarations of every types_*.go beside it (in name order), so that a group of types
// can live in a file of its own. Those files must import nothing.
func Source(dir string) ([]byte, error) {
	source, err := os.ReadFile(filepath.Join(dir, "types.go"))
	if err != nil {
		return nil, err
	}
	more, err := filepath.Glob(filepath.Join(dir, "types_*.go"))
	for _, path := range more {
		if err != nil || strings.HasSuffix(path, "_test.go") {
			continue
		}
		var b []byte
		if b, err = os.ReadFile(path); err == nil {
			// Drop the package clause: types.go has the one the parser needs.
			_, body, _ := bytes.Cut(b, []byte("package v1alpha1\n"))
			source = append(append(source, '\n'), body...)
		}
	}
	return source, err
}
