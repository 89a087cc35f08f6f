package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
)

// settingsKey stands for the settings.<VARIABLE> keys in messages.
const settingsKey = "settings.<VARIABLE>"

// configMapKeys are the keys a ConfigMap functionConfig accepts, derived from the
// LlamastackIntegration spec so that `-- apiKeySecret.name=my-secret` reads like the YAML
// form: each scalar or list field by its name, each field of a struct of strings as
// parent.field, and settings.<VARIABLE>. The several-provider form and the MaaS objects have
// no key form.
var configMapKeys, configMapKinds = deriveConfigMapKeys(reflect.TypeOf(v1alpha1.Spec{}))

func deriveConfigMapKeys(spec reflect.Type) ([]string, map[string]reflect.Kind) {
	var keys []string
	kinds := map[string]reflect.Kind{}
	add := func(key string, t reflect.Type) {
		keys = append(keys, key)
		kinds[key] = t.Kind()
	}
	for i := range spec.NumField() {
		f := spec.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		t := f.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t.Kind() == reflect.Map:
			add(name+".<VARIABLE>", t)
		case t.Kind() == reflect.Struct && stringFields(t):
			for j := range t.NumField() {
				child, _, _ := strings.Cut(t.Field(j).Tag.Get("json"), ",")
				add(name+"."+child, t.Field(j).Type)
			}
		case t.Kind() == reflect.Struct, t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.String:
			// No key form: the several-provider list and the MaaS objects.
		default:
			add(name, t)
		}
	}
	return keys, kinds
}

// stringFields reports whether every field of struct t is a string.
func stringFields(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Type.Kind() != reflect.String {
			return false
		}
	}
	return true
}

// configMapKeyKnown reports whether key is a ConfigMap setting, settings.<VARIABLE> included.
func configMapKeyKnown(key string) bool {
	if name, ok := strings.CutPrefix(key, "settings."); ok {
		return name != "" && !strings.Contains(name, ".")
	}
	return slices.Contains(configMapKeys, key) && key != settingsKey
}

// specFromConfigMap turns a ConfigMap's data into the YAML of a LlamastackIntegration spec.
func specFromConfigMap(fc *yaml.RNode) (*yaml.Node, []diag.Problem) {
	spec := yaml.NewMapRNode(nil)
	dataField := fc.Field("data")
	if dataField == nil || isNull(dataField.Value.YNode()) {
		return spec.YNode(), nil
	}
	data := dataField.Value.YNode()
	if data.Kind != yaml.MappingNode {
		return nil, []diag.Problem{diag.New("data", "must be a map of key=value settings, not %s", describe(data))}
	}
	var problems diag.List
	for i := 0; i+1 < len(data.Content); i += 2 {
		key, value := data.Content[i].Value, data.Content[i+1]
		node, problem := configMapValue(key, value)
		if problem != "" {
			problems.Add("data."+key, "%s", problem)
			continue
		}
		fields := strings.Split(key, ".")
		parent, err := spec.Pipe(yaml.LookupCreate(yaml.MappingNode, fields[:len(fields)-1]...))
		if err == nil {
			err = parent.PipeE(yaml.SetField(fields[len(fields)-1], yaml.NewRNode(node)))
		}
		if err != nil {
			problems.Add("data."+key, "%s", err.Error())
		}
	}
	return spec.YNode(), problems
}

// configMapValue reads the value of one ConfigMap key as the spec field's type, or says
// what is wrong with the key or the value.
func configMapValue(key string, value *yaml.Node) (*yaml.Node, string) {
	if !configMapKeyKnown(key) {
		msg := fmt.Sprintf("unknown setting %q", truncate(key))
		if guess := closest(key, configMapKeys); guess != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", guess)
		}
		return nil, msg + "; valid settings: " + strings.Join(configMapKeys, ", ")
	}
	if value.Kind != yaml.ScalarNode {
		return nil, "must be a string, not " + describe(value)
	}
	text := strings.TrimSpace(value.Value)
	switch configMapKinds[key] {
	case reflect.Slice:
		list, err := parseList(text)
		if err != nil {
			return nil, err.Error()
		}
		// Tagged strings: an untagged empty item would read as null, and vanish.
		node := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		for _, item := range list {
			node.Content = append(node.Content, yaml.NewStringRNode(item).YNode())
		}
		return node, ""
	case reflect.Int64, reflect.Int32, reflect.Int:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("must be a whole number, not %q", truncate(value.Value))
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(n, 10)}, ""
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Sprintf("must be true or false, not %q", truncate(value.Value))
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(b)}, ""
	}
	return yaml.NewStringRNode(value.Value).YNode(), ""
}

// parseList reads a list from a ConfigMap value: a JSON array (["free","premium"]), a
// comma-separated list (free,premium), or empty / [] for an empty list.
func parseList(s string) ([]string, error) {
	if strings.HasPrefix(s, "[") {
		var list []string
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, fmt.Errorf("must be a JSON array of tier names such as [\"free\",\"premium\"] or a comma-separated list, not %q", truncate(s))
		}
		return list, nil
	}
	list := []string{}
	if s == "" {
		return list, nil
	}
	// An empty item ("free,,gold") is kept, so that it fails as it does in the typed form.
	for _, t := range strings.Split(s, ",") {
		list = append(list, strings.TrimSpace(t))
	}
	return list, nil
}
