// Package diag is the function's one diagnostics type: a problem at a field path of the
// functionConfig or of one object, as field.ErrorList serves Kubernetes' validation. The
// processor turns them into kyaml results, naming the object.
package diag

import "fmt"

// Problem is something wrong (or suspicious) at a field path.
type Problem struct {
	Path    string
	Message string
	// Redact says the value at Path is, or carries, a credential: whatever shows the input
	// again (a ResourceList on stdout) must not show it.
	Redact bool
}

// New is a Problem at path with a formatted message.
func New(path, format string, args ...any) Problem {
	return Problem{Path: path, Message: fmt.Sprintf(format, args...)}
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// List collects problems in the order they were found.
type List []Problem

// Add appends a Problem at path with a formatted message.
func (l *List) Add(path, format string, args ...any) {
	*l = append(*l, New(path, format, args...))
}
