// Command gen writes the files generated from the LlamastackIntegration API types and the
// provider registry: the JSON Schema and the --help reference, which the API package embeds,
// the field table of docs/reference.md, the README's tables of lines and providers, and the example overlay
// of each provider (examples/providers/<name>/). go generate ./... (make golden) runs it in the
// API package's folder; its test fails when a committed copy is out of date.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1/reference"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// The README and the folder of an example overlay for each provider with Example data,
// from the API package's folder.
const (
	readmeFile  = "../../../README.md"
	examplesDir = "../../../examples/providers"
)

func main() {
	files, err := generated()
	for path, content := range files {
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		if err == nil {
			err = os.WriteFile(path, content, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// generated returns every generated file by its path from the API package's folder.
func generated() (map[string][]byte, error) {
	source, err := reference.Source(".")
	if err != nil {
		return nil, err
	}
	doc, err := os.ReadFile(reference.ReferenceDoc)
	if err != nil {
		return nil, err
	}
	files, err := reference.Files(source, doc)
	if err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	readme, err := os.ReadFile(readmeFile)
	if err != nil {
		return nil, err
	}
	readme, err = reference.ReplaceSection(readme, llamastack.TableBegin, llamastack.TableEnd, llamastack.MarkdownTable())
	if err != nil {
		return nil, err
	}
	files[readmeFile], err = reference.ReplaceSection(readme, providers.TableBegin, providers.TableEnd, providers.MarkdownTable())
	for _, p := range providers.All() {
		if p.Example == nil {
			continue
		}
		for name, content := range p.ExampleFiles() {
			files[filepath.Join(examplesDir, p.Name, name)] = []byte(content)
		}
	}
	return files, err
}
