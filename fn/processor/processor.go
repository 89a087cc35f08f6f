// Package processor is the function as a kyaml ResourceListProcessor: it reads the
// functionConfig, selects the LLMInferenceServices to change, checks all of them before
// changing any, applies the transforms and reports what it did as results.
package processor

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/diag"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/generate"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
	"github.com/llamastack-integration/llamastack-integration/fn/transform"
	"github.com/llamastack-integration/llamastack-integration/fn/yamlnode"
)

const (
	// KServeGroup is the API group of LLMInferenceService; every served version is accepted.
	KServeGroup = "serving.kserve.io"
	// LLMInferenceServiceKind is the kind the function changes.
	LLMInferenceServiceKind = "LLMInferenceService"

	// kustomize records names and namespaces from before its prefix, suffix and namespace
	// transformers in these annotations, which it passes to functions.
	previousNamesAnnotation      = "internal.config.kubernetes.io/previousNames"
	previousNamespacesAnnotation = "internal.config.kubernetes.io/previousNamespaces"
)

// Processor is the llamastack-integration function. After a run, Summaries holds one line
// per configured LLMInferenceService for people reading stderr (none with spec.quiet).
type Processor struct {
	Summaries []string
}

// New returns the function's processor.
func New() framework.ResourceListProcessor { return &Processor{} }

// Process implements framework.ResourceListProcessor. Results go in rl.Results; the returned
// error holds only the error results, so that a caller exits non-zero exactly when there are
// errors (a kyaml Results error with no error severity would exit 0). Every target is
// checked, and everything it generates, before any is changed, so a failed run leaves the
// input untouched.
func (p *Processor) Process(rl *framework.ResourceList) error {
	p.Summaries = nil // a processor may run more than once (kyaml's test harness, benchmarks)
	if failed := resolveConfigAliases(rl); len(failed) > 0 {
		return fail(rl, failed)
	}
	cfg, configRef, warnings, failed := loadConfig(rl)
	if len(failed) > 0 {
		return fail(rl, failed)
	}
	rl.Items = expandLists(rl.Items)
	if failed := resolveAliases(rl.Items); len(failed) > 0 {
		return fail(rl, failed)
	}
	if failed := checkItems(rl.Items); len(failed) > 0 {
		return fail(rl, failed)
	}
	targets, path, err := selectTargets(rl.Items, cfg)
	if err != nil {
		return fail(rl, framework.Results{result(framework.Error, configRef, path, err.Error())})
	}
	configs, failed := lineConfigs(rl, targets, cfg, configRef, warnings)
	shareProgram(targets, configs)
	failed = append(failed, checkSecrets(rl.Items, targets, cfg)...)
	for _, t := range targets {
		failed = append(failed, results(framework.Error, ref(t), transform.Check(t, configs[t]))...)
	}
	if len(failed) > 0 {
		return fail(rl, failed)
	}
	items := newIndex(rl.Items)
	generated, failed := generateAll(items, targets, configs)
	if len(failed) > 0 {
		return fail(rl, failed)
	}
	for _, t := range targets {
		if failed := p.apply(rl, items, t, configs[t], generated[t]); failed != nil {
			rl.Items = items.list()
			return failed
		}
	}
	removeEarlierPrograms(items, targets, generated)
	rl.Items = items.list()
	rl.Results = append(rl.Results, modelNameCollisions(rl.Items, targets)...)
	return nil
}

// fail adds the error results to rl and returns them as the run's error.
func fail(rl *framework.ResourceList, failed framework.Results) error {
	rl.Results = append(rl.Results, failed...)
	return failed
}

// loadConfig reads the functionConfig, reporting its warnings in rl; configRef names it in
// results.
func loadConfig(rl *framework.ResourceList) (*config.Config, *yaml.ResourceIdentifier, []diag.Problem, framework.Results) {
	cfg, src, errs, warnings := config.Load(rl.FunctionConfig)
	var configRef *yaml.ResourceIdentifier
	if src.Kind != "" {
		configRef = &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: src.APIVersion, Kind: src.Kind}, NameMeta: yaml.NameMeta{Name: src.Name}}
	}
	rl.Results = append(rl.Results, results(framework.Warning, configRef, warnings)...)
	for _, e := range errs {
		if e.Redact && rl.FunctionConfig != nil {
			// The ResourceList on stdout carries the functionConfig back: never the credential.
			yamlnode.Redact(rl.FunctionConfig.YNode(), e.Path)
		}
	}
	return cfg, configRef, warnings, results(framework.Error, configRef, errs)
}

// checkItems refuses input objects that kyaml's metadata accessors would panic on, and
// objects with a key set twice.
func checkItems(items []*yaml.RNode) framework.Results {
	var malformed framework.Results
	for i, item := range items {
		if problem := yamlnode.CheckObjectShape(item.YNode()); problem != "" {
			malformed = append(malformed, result(framework.Error, resourceID(item.YNode()), fmt.Sprintf("items[%d]", i), problem+"; this is not a valid Kubernetes object"))
		}
	}
	if len(malformed) > 0 {
		return malformed
	}
	for _, item := range items {
		for _, path := range yamlnode.DuplicateKeys(item.YNode()) {
			malformed = append(malformed, result(framework.Error, ref(item), path, "is set twice in this object; kubectl keeps only the last one, so an edit to the first would be lost: keep one"))
		}
	}
	return malformed
}

// generateAll builds what each target needs next to it, from its final name and
// namespace, and refuses to replace an input object that the function did not generate.
func generateAll(items *index, targets []*yaml.RNode, configs map[*yaml.RNode]*config.Config) (map[*yaml.RNode][]*yaml.RNode, framework.Results) {
	generated := map[*yaml.RNode][]*yaml.RNode{}
	var failed framework.Results
	for _, t := range targets {
		objects, problems := generate.Objects(t, configs[t])
		failed = append(failed, results(framework.Error, ref(t), problems)...)
		for _, obj := range objects {
			if other, _ := items.find(obj); other != nil && !generate.IsGenerated(other) {
				failed = append(failed, result(framework.Error, ref(other), "metadata.annotations", fmt.Sprintf(
					"this %s is in the input, but it was not generated by the function (it has no %s annotation), and the function would replace it with the one it generates for %s %s: rename or remove yours, or add the annotation to let the function own it",
					other.GetKind(), v1alpha1.GeneratedForAnnotation, LLMInferenceServiceKind, qualifiedName(t))))
			}
		}
		generated[t] = objects
	}
	return generated, failed
}

// apply changes target t, puts its generated objects into the items and reports what it did.
func (p *Processor) apply(rl *framework.ResourceList, items *index, t *yaml.RNode, cfg *config.Config, generated []*yaml.RNode) framework.Results {
	outcome, err := transform.Apply(t, cfg)
	if err != nil {
		r := result(framework.Error, ref(t), "", err.Error())
		rl.Results = append(rl.Results, r)
		return framework.Results{r}
	}
	// kubectl reads YAML 1.1: a string such as "on" must come out quoted in every mode.
	yamlnode.QuoteAmbiguous(t.YNode())
	var added []string
	for _, obj := range generated {
		yamlnode.QuoteAmbiguous(obj.YNode())
		if generate.IsStartupConfigMap(obj, t.GetName()) {
			// The start-up ConfigMap of an earlier render (kpt's in-place packages) goes.
			items.removeOtherStartups(obj, t.GetName())
		}

		if upsert(items, obj) {
			added = append(added, obj.GetKind()+" "+yamlnode.Printable(qualifiedName(obj)))
		}
	}
	rl.Results = append(rl.Results, results(framework.Warning, ref(t), outcome.Warnings)...)
	var served []string
	for _, pc := range cfg.Providers {
		served = append(served, pc.Provider.Name+" model "+yamlnode.Truncate(pc.Model))
	}
	detail := slices.Clone(outcome.Changes)
	for _, name := range added {
		detail = append(detail, "generated "+name)
	}
	rl.Results = append(rl.Results, result(framework.Info, ref(t), "", fmt.Sprintf("configured for %s: %s", strings.Join(served, ", "), cmp.Or(strings.Join(detail, "; "), "nothing to change"))))
	if !cfg.Quiet {
		p.Summaries = append(p.Summaries, summary(t, served, len(outcome.Changes), added))
	}
	return nil
}

// summary is one line on what the function did to t.
func summary(t *yaml.RNode, served []string, changes int, added []string) string {
	what := "nothing to change"
	switch {
	case changes > 0 && len(added) > 0:
		what = fmt.Sprintf("%d changes; generated %s", changes, strings.Join(added, ", "))
	case changes > 0:
		what = fmt.Sprintf("%d changes", changes)
	case len(added) > 0:
		what = "generated " + strings.Join(added, ", ")
	}
	return fmt.Sprintf("%s %s: configured for %s: %s", LLMInferenceServiceKind, yamlnode.Printable(qualifiedName(t)), strings.Join(served, ", "), what)
}

// results turns problems into results of one severity about one object.
func results(severity framework.Severity, id *yaml.ResourceIdentifier, problems []diag.Problem) framework.Results {
	var out framework.Results
	for _, p := range problems {
		out = append(out, result(severity, id, p.Path, p.Message))
	}
	return out
}

// expandLists replaces each v1 List (what kubectl get -o yaml writes) by its items, so that
// its LLMInferenceServices are configured like any other.
func expandLists(items []*yaml.RNode) []*yaml.RNode {
	var out []*yaml.RNode
	for _, item := range items {
		// Through aliases: resolveAliases runs on the Lists' items, after this.
		apiVersion, kind, _, _ := yamlnode.Identity(item.YNode())
		list := yamlnode.Field(item.YNode(), "items")
		if kind != "List" || apiVersion != "v1" || list == nil || list.Kind != yaml.SequenceNode {
			out = append(out, item)
			continue
		}
		for _, element := range list.Content {
			out = append(out, yaml.NewRNode(element))
		}
	}
	return out
}

// lineConfigs gives each target the config of its server line: a target runs on the line
// of its own image unless the functionConfig names an image or a line. Warnings already
// given for the functionConfig are not repeated.
func lineConfigs(rl *framework.ResourceList, targets []*yaml.RNode, cfg *config.Config, configRef *yaml.ResourceIdentifier, given []diag.Problem) (map[*yaml.RNode]*config.Config, framework.Results) {
	configs := map[*yaml.RNode]*config.Config{}
	var failed framework.Results
	for _, t := range targets {
		configs[t] = cfg
		line := cfg.Line.Name
		if image, known := llamastack.ImageOf(transform.BaseImage(t)); known && cfg.Image == "" {
			line = image.Line
		}
		lineCfg, errs, warnings := cfg.WithLine(line)
		for _, w := range warnings {
			if !slices.Contains(given, w) {
				rl.Results = append(rl.Results, result(framework.Warning, configRef, w.Path, w.Message))
				given = append(given, w)
			}
		}
		for _, e := range errs {
			failed = append(failed, result(framework.Error, ref(t), e.Path, fmt.Sprintf("%s (on the %s line of %s)", e.Message, line, imageOf(t))))
		}
		if lineCfg != nil {
			configs[t] = lineCfg
		}
	}
	return configs, failed
}

// shareProgram names, for each target, the service after which the program's ConfigMap of
// its namespace is named: the namespace's first target (see startup.ProgramConfigMapName).
func shareProgram(targets []*yaml.RNode, configs map[*yaml.RNode]*config.Config) {
	first := map[string]string{}
	for _, t := range targets {
		if _, seen := first[t.GetNamespace()]; !seen {
			first[t.GetNamespace()] = t.GetName()
		}
		shared := *configs[t]
		shared.ProgramService = first[t.GetNamespace()]
		configs[t] = &shared
	}
}

// removeEarlierPrograms removes, once every target mounts its namespace's program, the
// program ConfigMaps of an earlier render (kpt's in-place packages) that nothing mounts.
func removeEarlierPrograms(items *index, targets []*yaml.RNode, generated map[*yaml.RNode][]*yaml.RNode) {
	for _, t := range targets {
		for _, obj := range generated[t] {
			if generate.IsProgramConfigMap(obj) {
				items.removeOtherPrograms(obj)
			}
		}
	}
}

// imageOf names the image a target runs when spec.image is unset, for messages.
func imageOf(t *yaml.RNode) string {
	if base := transform.BaseImage(t); base != "" {
		return "the base's image " + yamlnode.Truncate(base)
	}
	return "the default image " + llamastack.DefaultImage
}

// modelNameCollisions warns on each target that serves the same spec.model.name as another
// LLMInferenceService of its namespace in the input: KServe's gateway routes by model name
// (the header and publishers/<namespace>/models/<name> path) to one of them only, and its
// controller raises a ModelNameCollision event.
func modelNameCollisions(items, targets []*yaml.RNode) framework.Results {
	type key struct{ namespace, model string }
	byModel := map[key][]string{}
	for _, item := range items {
		if isLLMInferenceService(item) {
			k := key{item.GetNamespace(), modelName(item)}
			byModel[k] = append(byModel[k], item.GetName())
		}
	}
	// Sorted and printable once per model: every target of a namespace names all the others.
	printable := map[key][]string{}
	for k, names := range byModel {
		sort.Strings(names)
		printable[k] = make([]string, len(names))
		for i, n := range names {
			printable[k][i] = yamlnode.Printable(n)
		}
	}
	var warnings framework.Results
	for _, t := range targets {
		k := key{t.GetNamespace(), modelName(t)}
		named := others(t.GetName(), byModel[k], printable[k])
		if k.model == "" || named == "" {
			continue
		}
		warnings = append(warnings, result(framework.Warning, ref(t), "spec.model.name", fmt.Sprintf(
			"%q is also served by %s %s in this namespace: the gateway's model-based routing reaches only one of them, and KServe raises a ModelNameCollision warning; serve them from different namespaces, or ignore this if you mean to split traffic between them",
			yamlnode.Truncate(k.model), LLMInferenceServiceKind, named)))
	}
	return warnings
}

func modelName(item *yaml.RNode) string {
	n := yamlnode.Field(yamlnode.Field(yamlnode.Field(item.YNode(), "spec"), "model"), "name")
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// upsert puts a generated object into items: it adds it, replaces an object of the same
// identity that differs, or leaves an equivalent one alone (so a second run, even on output
// whose keys another tool reordered, changes nothing). It reports whether items changed.
func upsert(items *index, obj *yaml.RNode) bool {
	item, i := items.find(obj)
	if item == nil {
		items.add(obj)
		return true
	}
	if equivalent(item, obj) {
		return false
	}
	// Keep the orchestrator's bookkeeping (file path, index) so kpt writes it back in place.
	for k, v := range item.GetAnnotations() {
		if isOrchestratorAnnotation(k) {
			_ = obj.PipeE(yaml.SetAnnotation(k, v))
		}
	}
	items.replace(i, obj)
	return true
}

// equivalent compares two objects as data, ignoring the orchestrators' annotations.
func equivalent(a, b *yaml.RNode) bool {
	return reflect.DeepEqual(asData(a), asData(b))
}

func asData(n *yaml.RNode) any {
	var v map[string]any
	if err := n.YNode().Decode(&v); err != nil {
		return nil
	}
	if meta, ok := v["metadata"].(map[string]any); ok {
		if annotations, ok := meta["annotations"].(map[string]any); ok {
			for k := range annotations {
				if isOrchestratorAnnotation(k) {
					delete(annotations, k)
				}
			}
			if len(annotations) == 0 {
				delete(meta, "annotations")
			}
		}
	}
	return v
}

func isOrchestratorAnnotation(key string) bool {
	return strings.HasPrefix(key, "config.kubernetes.io/") || strings.HasPrefix(key, "internal.config.kubernetes.io/") ||
		strings.HasPrefix(key, "config.k8s.io/") || strings.HasPrefix(key, "kustomize.config.k8s.io/")
}

// selectTargets returns the LLMInferenceServices that cfg.Target selects, or an error that
// names the ones the input has.
// The path is the functionConfig field to blame, if any.
func selectTargets(items []*yaml.RNode, cfg *config.Config) ([]*yaml.RNode, string, error) {
	var all, selected []*yaml.RNode
	for _, item := range items {
		if !isLLMInferenceService(item) {
			continue
		}
		all = append(all, item)
		if matches(item, cfg.TargetName, item.GetName(), previousNamesAnnotation) &&
			matches(item, cfg.TargetNamespace, item.GetNamespace(), previousNamespacesAnnotation) {
			selected = append(selected, item)
		}
	}
	if len(all) == 0 {
		return nil, "", fmt.Errorf("the input has no %s (apiVersion %s/*) to configure; add the base LLMInferenceService to the kustomization's resources", LLMInferenceServiceKind, KServeGroup)
	}
	if len(selected) == 0 {
		var names []string
		for _, item := range all {
			names = append(names, yamlnode.Printable(qualifiedName(item)))
		}
		sort.Strings(names)
		return nil, targetPath(cfg), fmt.Errorf("matches no %s; the input has: %s", LLMInferenceServiceKind, strings.Join(names, ", "))
	}
	return selected, "", nil
}

// shownOthers is how many other services a model-name collision warning names: with every
// one named, n colliding services would write n² names.
const shownOthers = 3

// others names the services other than service among names (sorted, with their printable
// forms), the first shownOthers of them and how many more.
func others(service string, names, printable []string) string {
	var shown []string
	count := 0
	for i, n := range names {
		if n != service {
			count++
			if len(shown) < shownOthers {
				shown = append(shown, printable[i])
			}
		}
	}
	if more := count - len(shown); more > 0 {
		return fmt.Sprintf("%s and %d more", strings.Join(shown, ", "), more)
	}
	return strings.Join(shown, ", ")
}

func isLLMInferenceService(item *yaml.RNode) bool {
	return isLLMInferenceServiceType(item.GetApiVersion(), item.GetKind())
}

func isLLMInferenceServiceType(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	return kind == LLMInferenceServiceKind && group == KServeGroup
}

// matches reports whether want is empty, the current value, or a value kustomize recorded
// before renaming (so target.name can be the base's name under a namePrefix).
func matches(item *yaml.RNode, want, current, previousAnnotation string) bool {
	if want == "" || want == current {
		return true
	}
	for _, prev := range strings.Split(item.GetAnnotations()[previousAnnotation], ",") {
		if prev == want {
			return true
		}
	}
	return false
}

func targetPath(cfg *config.Config) string {
	switch {
	case cfg.TargetName != "" && cfg.TargetNamespace != "":
		return fmt.Sprintf("spec.target (name %s, namespace %s)", yamlnode.Truncate(cfg.TargetName), yamlnode.Truncate(cfg.TargetNamespace))
	case cfg.TargetName != "":
		return "spec.target.name (" + yamlnode.Truncate(cfg.TargetName) + ")"
	case cfg.TargetNamespace != "":
		return "spec.target.namespace (" + yamlnode.Truncate(cfg.TargetNamespace) + ")"
	}
	return "spec.target"
}

func qualifiedName(item *yaml.RNode) string {
	if ns := item.GetNamespace(); ns != "" {
		return ns + "/" + item.GetName()
	}
	return item.GetName()
}

func ref(item *yaml.RNode) *yaml.ResourceIdentifier {
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: item.GetApiVersion(), Kind: item.GetKind()},
		NameMeta: yaml.NameMeta{Name: item.GetName(), Namespace: item.GetNamespace()},
	}
}

func result(severity framework.Severity, ref *yaml.ResourceIdentifier, path, msg string) *framework.Result {
	r := &framework.Result{Severity: severity, ResourceRef: ref, Message: msg}
	if path != "" {
		r.Field = &framework.Field{Path: path}
	}
	return r
}

// Describe renders a result as one line for people:
// "error: LLMInferenceService llm/name: spec.field: message".
func Describe(r *framework.Result) string {
	parts := []string{string(r.Severity)}
	switch {
	case r.ResourceRef != nil:
		name := r.ResourceRef.Name
		if r.ResourceRef.Namespace != "" {
			name = r.ResourceRef.Namespace + "/" + name
		}
		parts = append(parts, strings.TrimSpace(yamlnode.Printable(r.ResourceRef.Kind)+" "+yamlnode.Printable(name)))
	case r.Severity == framework.Error:
		parts = append(parts, v1alpha1.Kind)
	}
	if r.Field != nil && r.Field.Path != "" {
		parts = append(parts, yamlnode.Printable(r.Field.Path))
	}
	return strings.Join(append(parts, r.Message), ": ")
}
