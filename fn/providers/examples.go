package providers

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
)

// ExampleLine is the server line the examples are written for: the default image's.
const ExampleLine = "ogx"

// ExampleFiles are the files of examples/providers/<name>/ for a provider with an Example,
// by file name: a kustomization over deploy/base and its functionConfig.
func (p Provider) ExampleFiles() map[string]string {
	e := p.Example
	kustomization := fmt.Sprintf(`# %s
#   kustomize build --enable-alpha-plugins --enable-exec examples/providers/%s
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: llm
namePrefix: %s-
resources:
  - ../../../deploy/base
transformers:
  - llamastack-integration.yaml
`, e.Note, p.Name, p.Name)
	var spec strings.Builder
	fmt.Fprintf(&spec, "  provider: %s\n", p.Name)
	if e.ModelNote != "" {
		fmt.Fprintf(&spec, "  # %s\n", e.ModelNote)
	}
	fmt.Fprintf(&spec, "  model: %s\n", scalar(cmp.Or(e.Model, p.DefaultModel)))
	fmt.Fprintf(&spec, "  # %s\n", p.ForLine(ExampleLine).secretAdvice())
	if len(e.Settings) > 0 {
		spec.WriteString("  settings:\n")
		for _, kv := range e.Settings {
			fmt.Fprintf(&spec, "    %s: %s\n", kv[0], scalar(kv[1]))
		}
	}
	config := fmt.Sprintf(`# yaml-language-server: $schema=../../../schema/llamastackintegration.v1alpha1.schema.json
apiVersion: llamastack.opendatahub.io/v1alpha1
kind: LlamastackIntegration
metadata:
  name: %s
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ../../../bin/llamastack-integration
spec:
%s  tiers: []
  target:
    name: llamastack
`, p.Name, spec.String())
	return map[string]string{"kustomization.yaml": kustomization, "llamastack-integration.yaml": config}
}

// secretAdvice is the comment that says how to create the provider's Secret from files.
func (p Provider) secretAdvice() string {
	var keys []string
	for _, s := range p.Secrets {
		if !slices.Contains(keys, s.Key) {
			keys = append(keys, s.Key)
		}
	}
	if p.Credentials != nil {
		keys = append(keys, p.Credentials.Key)
	}
	if len(keys) == 0 {
		return p.Name + " reads no credentials."
	}
	var from []string
	for _, key := range keys {
		file := key + ".txt"
		switch {
		case key == apiKey:
			file = p.Name + "-api-key.txt"
		case path.Ext(key) != "":
			file = key
		}
		from = append(from, fmt.Sprintf("--from-file=%s=./%s", key, file))
	}
	return fmt.Sprintf("Create the Secret first: kubectl -n llm create secret generic %s %s", v1alpha1.DefaultSecretName(p.Name), strings.Join(from, " "))
}

// scalar writes s as a YAML value, quoted where YAML would read it as another type.
func scalar(s string) string {
	return strings.TrimSpace(yaml.NewStringRNode(s).MustString())
}
