// Command gen writes the files generated from the LlamastackIntegration API types and the
// provider registry: the JSON Schema and the --help reference, which the API package embeds,
// and the README's field and provider tables. go generate ./... (make golden) runs it in the
// API package's folder; its test fails when a committed copy is out of date.
package main

import (
	"fmt"
	"os"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1/reference"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

func main() {
	files, err := generated()
	for path, content := range files {
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
	source, err := os.ReadFile("types.go")
	if err != nil {
		return nil, err
	}
	readme, err := os.ReadFile(reference.ReadmeFile)
	if err != nil {
		return nil, err
	}
	files, err := reference.Files(source, readme)
	if err != nil {
		return nil, err
	}
	files[reference.ReadmeFile], err = reference.ReplaceSection(files[reference.ReadmeFile], providers.TableBegin, providers.TableEnd, providers.MarkdownTable())
	return files, err
}
