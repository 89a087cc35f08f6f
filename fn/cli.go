package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/processor"
)

// command runs the subcommands and flags; done says whether args named one.
func command(args []string, stdout, stderr io.Writer) (code int, done bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage())
	case "--schema", "schema":
		fmt.Fprint(stdout, v1alpha1.SchemaJSON)
	case "--version", "version":
		fmt.Fprintf(stdout, "%s %s\n", name, version)
	case "install":
		// Copies this binary into a folder, for images without a shell (Argo CD's
		// repo-server init container runs "llamastack-integration install /custom-tools").
		if len(args) != 2 {
			fmt.Fprintf(stderr, "%s: usage: %s install DIR\n", name, name)
			return 2, true
		}
		if err := install(args[1]); err != nil {
			fmt.Fprintf(stderr, "%s: error: %v\n", name, err)
			return 1, true
		}
		fmt.Fprintf(stderr, "%s: installed %s %s as %s\n", name, name, version, filepath.Join(args[1], name))
	default:
		if len(args[0]) > 1 && args[0][0] == '-' {
			fmt.Fprintf(stderr, "%s: unknown flag %q; see %s --help\n", name, args[0], name)
			return 2, true
		}
		return 0, false
	}
	return 0, true
}

// report writes the run's warnings, errors and summary lines to stderr, one line each, and
// says whether the run failed.
func report(stderr io.Writer, rw *kio.ByteReadWriter, p *processor.Processor, err error) (failed bool) {
	var results framework.Results
	if rw.Results != nil {
		_ = rw.Results.YNode().Decode(&results)
	}
	for _, r := range results {
		if r.Severity == framework.Warning {
			fmt.Fprintf(stderr, "%s: %s\n", name, processor.Describe(r))
		}
	}
	if err == nil {
		for _, line := range p.Summaries {
			fmt.Fprintf(stderr, "%s: %s\n", name, line)
		}
		return false
	}
	var errs framework.Results
	if errors.As(err, &errs) {
		for _, r := range errs {
			fmt.Fprintf(stderr, "%s: %s\n", name, processor.Describe(r))
		}
	} else {
		fmt.Fprintf(stderr, "%s: error: cannot read the input: %s\n", name, readError(err))
	}
	return true
}

// readInputs joins the standalone form's input files ("-" is stdin; none means stdin).
func readInputs(paths []string, stdin io.Reader) (io.Reader, error) {
	if len(paths) == 0 {
		return stdin, nil
	}
	var readers []io.Reader
	for _, path := range paths {
		if path == "-" {
			readers = append(readers, stdin)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read input: %w", err)
		}
		readers = append(readers, bytes.NewReader(b), bytes.NewReader([]byte("\n---\n")))
	}
	return io.MultiReader(readers...), nil
}

// install copies the running executable to dir/llamastack-integration, mode 0755.
func install(dir string) error {
	self, err := os.Executable()
	if err != nil {
		// Without /proc (a bare chroot), argv[0] still names the binary: container
		// entrypoints give it as an absolute path.
		if !filepath.IsAbs(os.Args[0]) {
			return fmt.Errorf("cannot find this binary to copy it: %w", err)
		}
		self = os.Args[0]
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	target := filepath.Join(dir, name)
	tmp := target + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return fmt.Errorf("cannot write to %s: %w", dir, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}

func readFunctionConfig(path string) (*yaml.RNode, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the functionConfig: %w", err)
	}
	docs, err := kio.FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the functionConfig %s: %s", path, oneLine(err.Error()))
	}
	switch len(docs) {
	case 0:
		return nil, fmt.Errorf("the functionConfig file %s holds no document; give one %s", path, v1alpha1.Kind)
	case 1:
		// Empty documents (a leading ---) are not counted.
		return docs[0], nil
	}
	return nil, fmt.Errorf("the functionConfig file %s holds %d documents; give exactly one %s (resources go after it on the command line)", path, len(docs), v1alpha1.Kind)
}

// resourceListFraming says what is wrong when a ResourceList is followed by more documents,
// which kustomize and kpt never send and which would otherwise be read as plain resources.
// kyaml splits documents at lines starting with "---" after a newline: without one, the
// input is one document, and it is not parsed a second time.
func resourceListFraming(input []byte) string {
	if !bytes.Contains(input, []byte("\n---")) {
		return ""
	}
	docs, err := kio.FromBytes(input)
	if err != nil || len(docs) < 2 || docs[0].GetKind() != "ResourceList" {
		return ""
	}
	return fmt.Sprintf("the input is a ResourceList followed by %d more document(s); send one ResourceList (put every resource under its items), or resources alone with a functionConfig file: %s CONFIG [INPUT...]", len(docs)-1, name)
}

// readError turns kyaml's read error into one line without its internal prefixes.
func readError(err error) string {
	msg := oneLine(err.Error())
	for _, prefix := range []string{"failed to read ResourceList input: ", "MalformedYAMLError: "} {
		msg = strings.ReplaceAll(msg, prefix, "")
	}
	if strings.Contains(msg, "wrong node kind: expected MappingNode") {
		return "every item must be a Kubernetes object (a map with apiVersion, kind and metadata), but one is not: " + msg
	}
	return msg
}

func oneLine(s string) string {
	return string(bytes.Join(bytes.Fields([]byte(s)), []byte(" ")))
}
