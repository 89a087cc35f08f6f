// Command llamastack-integration is a KRM function (kustomize transformer, kpt mutator) that
// turns a base KServe LLMInferenceService into a Llama Stack deployment for an external LLM
// provider behind the Models-as-a-Service gateway. See README.md.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/llamastack-integration/llamastack-integration/fn/processor"
	"github.com/llamastack-integration/llamastack-integration/fn/rlio"
)

// name prefixes every line the function writes to stderr.
const name = "llamastack-integration"

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program: stdout carries only YAML, stderr one line per problem (and one
// summary line per service), and the exit code is non-zero exactly when there is an error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A panic is a bug; say so in one line rather than with a Go stack trace.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "%s: internal error: %v (please report this with the input that caused it)\n", name, r)
			code = 2
		}
	}()
	if len(args) > 0 && args[0] == "--" {
		// Everything after -- is CONFIG [INPUT...], even a file named like a subcommand.
		args = args[1:]
	} else if code, done := command(args, stdout, stderr); done {
		return code
	}
	rw, err := readerWriter(args, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", name, err)
		return 1
	}
	var out bytes.Buffer
	rw.Writer = &out
	p := &processor.Processor{}
	err = rlio.Execute(p, rw)
	failed := report(stderr, rw, p, err)
	// kpt reads error results from the ResourceList on stdout. A run that failed without
	// one (standalone, or plain resources on stdin) writes nothing: a pipe would take
	// resources on stdout for the output.
	if !failed || rw.WrappingKind == kio.ResourceListKind {
		_, _ = stdout.Write(out.Bytes())
	}
	if failed {
		return 1
	}
	return 0
}

// readerWriter reads a ResourceList from stdin, or, given CONFIG [INPUT...], the
// functionConfig file and the resources (standalone form, whose output is the plain
// resources, like kubectl's input).
func readerWriter(args []string, stdin io.Reader) (*kio.ByteReadWriter, error) {
	if len(args) == 0 {
		input, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("cannot read the input: %w", err)
		}
		if input, err = oneResourceList(input); err != nil {
			return nil, err
		}
		return &kio.ByteReadWriter{Reader: bytes.NewReader(input), KeepReaderAnnotations: true}, nil
	}
	fc, err := readFunctionConfig(args[0])
	if err != nil {
		return nil, err
	}
	input, err := readInputs(args[1:], stdin)
	if err != nil {
		return nil, err
	}
	return &kio.ByteReadWriter{Reader: input, FunctionConfig: fc, NoWrap: true}, nil
}
