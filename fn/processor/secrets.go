package processor

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
)

// placeholder matches values that stand in for a key: empty, "changeme", "your-...-here",
// "${...}", "<...>", "xxxx". Such a key deploys fine and fails at the first request.
var placeholder = regexp.MustCompile(`(?i)^\s*$|^(change[-_]?me|replace[-_]?me|placeholder|todo|tbd|dummy|fake|secret|api[-_]?key|x{3,}|\*{3,})$|^your[-_].*[-_]here$|^\$\{.*\}$|^<.*>$`)

// checkSecrets looks at the Secrets in the input that a configured provider references, in
// the targets' namespaces, and reports keys that hold a placeholder. Messages name the
// Secret and the key, never the value.
func checkSecrets(items []*yaml.RNode, targets []*yaml.RNode, cfg *config.Config) framework.Results {
	referenced := map[string][]string{} // secret name -> keys
	for _, pc := range cfg.Providers {
		if pc.SecretName == "" {
			continue
		}
		referenced[pc.SecretName] = append(referenced[pc.SecretName], slices.Compact(slices.Sorted(maps.Values(pc.SecretKeys)))...)
	}
	namespaces := map[string]bool{}
	for _, t := range targets {
		namespaces[t.GetNamespace()] = true
	}
	var failed framework.Results
	for _, item := range items {
		if item.GetKind() != "Secret" || item.GetApiVersion() != "v1" || !namespaces[item.GetNamespace()] {
			continue
		}
		keys, ok := referenced[item.GetName()]
		if !ok {
			continue
		}
		for _, key := range keys {
			for _, field := range []string{"stringData", "data"} {
				node, err := item.Pipe(yaml.Lookup(field, key))
				if err != nil || node == nil {
					continue
				}
				value := node.YNode().Value
				path := field + "." + key
				if field == "data" {
					decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
					if err != nil {
						failed = append(failed, result(framework.Error, ref(item), path, "is not valid base64; Kubernetes would reject the Secret (use stringData for plain text, or kubectl create secret generic --from-file)"))
						continue
					}
					value = string(decoded)
				}
				if placeholder.MatchString(value) {
					failed = append(failed, result(framework.Error, ref(item), path, fmt.Sprintf("holds a placeholder, not a real API key; create the Secret from the key itself: kubectl create secret generic %s --from-file=%s=./key.txt", item.GetName(), key)))
				}
			}
		}
	}
	return failed
}
