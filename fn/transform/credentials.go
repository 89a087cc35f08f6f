package transform

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// credentialName matches variable names that hold a credential by convention.
var credentialName = regexp.MustCompile(`(?i)(^|_)(API_?KEY|TOKEN|SECRET|PASSWORD|ACCESS_KEY)$`)

// envReference is a value that Kubernetes replaces by another variable's: not a literal.
var envReference = regexp.MustCompile(`^\$\([A-Za-z_][-._A-Za-z0-9]*\)$`)

// checkLiteralCredentials finds the credentials written as literal values in the env of any
// container of the service, which the function would otherwise write out in plain text: a
// variable a provider reads from its Secret, or one named like a credential. Apply replaces
// the configured providers' variables in main by their Secret references; any other is an
// error that names the variable, never its value.
func checkLiteralCredentials(spec *yaml.Node, cfg *config.Config) []diag.Problem {
	replaced := map[string]bool{}
	var serving []string
	for _, pc := range cfg.Providers {
		for _, s := range pc.Provider.Secrets {
			replaced[s.Env] = true
		}
		serving = append(serving, pc.Provider.DisplayName)
	}
	var errs diag.List
	envLists(spec, "spec", map[*yaml.Node]bool{}, func(env *yaml.Node, path string) {
		for i, e := range env.Content {
			name, _ := stringValue(e, "name")
			value, literal := literalValue(e)
			if !literal || value == "" || envReference.MatchString(value) || (path == mainPath+".env" && replaced[name]) {
				continue
			}
			if msg := literalCredential(name, cfg, strings.Join(serving, ", ")); msg != "" {
				errs.Add(path+itemKey(e, i), "%s", msg)
			}
		}
	})
	return errs
}

// literalCredential says why a literal value of variable name must not be written out, and
// what to do instead, or "" when name is not a credential's.
func literalCredential(name string, cfg *config.Config, serving string) string {
	const why = " and holds a literal value: the function does not write a credential out in plain text. "
	const rotate = " Rotate it if it was real: it was in a manifest."
	p, known := providers.BySecretEnv(name)
	if known && (p.Credentials == nil || p.Credentials.Env != name) {
		for _, pc := range cfg.Providers {
			if fix := identityReplaces(pc); pc.Provider.Name == p.Name && fix != "" {
				return "is " + p.DisplayName + "'s credential" + why + fix + rotate
			}
			if pc.Provider.Name == p.Name {
				return "is " + p.DisplayName + "'s credential" + why + "Read it from a Secret with valueFrom.secretKeyRef (the Secret " + truncate(pc.SecretName) + ", for example), or remove the variable." + rotate
			}
		}
		return "is " + p.DisplayName + "'s credential" + why + "This service serves " + serving + ", which does not read it: remove the variable, or add " + p.Name + " to the providers (a reference to its Secret, valueFrom.secretKeyRef, then replaces the value)." + rotate
	}
	if credentialName.MatchString(name) {
		return "is named like a credential" + why + "Put it in a Secret and read it with valueFrom.secretKeyRef (kubectl create secret generic NAME --from-file=KEY=FILE), or remove the variable." + rotate
	}
	return ""
}

// literalValue returns the value of env var e when it is a scalar, written out or through an
// alias (the output keeps the alias, and its anchor holds the value).
func literalValue(e *yaml.Node) (string, bool) {
	v := field(e, "value")
	if v != nil && v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
		return "", false
	}
	return v.Value, true
}

// envLists calls visit once with each env list under n (an env: *alias included) and its
// field path. Other aliases are not followed: what they point to is walked where it is
// defined, so the walk stays linear in the input whatever its aliases.
func envLists(n *yaml.Node, path string, seen map[*yaml.Node]bool, visit func(env *yaml.Node, path string)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, v := n.Content[i].Value, n.Content[i+1]
			if key == "env" && v.Kind == yaml.AliasNode && v.Alias != nil && v.Alias.Kind == yaml.SequenceNode {
				v = v.Alias
			}
			if key == "env" && v.Kind == yaml.SequenceNode {
				if !seen[v] {
					seen[v] = true
					visit(v, path+".env")
				}
				continue
			}
			envLists(v, path+"."+key, seen, visit)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			envLists(item, path+itemKey(item, i), seen, visit)
		}
	}
}

// itemKey names a list item in a field path: by its name when it has one, else by index.
func itemKey(item *yaml.Node, i int) string {
	if name, ok := stringValue(item, "name"); ok && name != "" {
		return "[name=" + name + "]"
	}
	return fmt.Sprintf("[%d]", i)
}
