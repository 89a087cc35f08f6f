// Package rlio runs a processor on a ResourceList as kyaml's framework.Execute does, and
// writes the resulting ResourceList a few items at a time, byte for byte as kyaml would.
//
// kyaml encodes the whole ResourceList as one YAML document, and go-yaml's emitter keeps
// every event of a document until its end: the memory and time of writing grow with the
// size of the whole list, in steps (that queue doubles). One document per batch of items keeps
// that queue the size of a few items. An item with YAML anchors or aliases, which may refer across
// items, is written by kyaml's writer instead, as is any output this writer cannot show to
// be the same bytes.
package rlio

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/errors"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Execute reads rw's ResourceList, runs p and writes the result to rw.Writer, as
// framework.Execute does: the same bookkeeping of kyaml's internal annotations, the same
// results in rw.Results, the same bytes.
func Execute(p framework.ResourceListProcessor, rw *kio.ByteReadWriter) error {
	rl := framework.ResourceList{}
	var err error
	if rl.Items, err = rw.Read(); err != nil {
		return errors.WrapPrefixf(err, "failed to read ResourceList input")
	}
	rl.FunctionConfig = rw.FunctionConfig
	annotations, err := kio.PreprocessResourcesForInternalAnnotationMigration(rl.Items)
	if err != nil {
		return err
	}
	processErr := p.Process(&rl)
	if err := kio.ReconcileInternalAnnotations(rl.Items, annotations); err != nil {
		return err
	}
	if len(rl.Results) > 0 {
		b, err := yaml.Marshal(rl.Results)
		if err != nil {
			return errors.Wrap(err)
		}
		if rw.Results, err = yaml.Parse(string(b)); err != nil {
			return errors.Wrap(err)
		}
	}
	if err := write(rw, rl.Items); err != nil {
		return err
	}
	return processErr
}

// write writes items as rw would: a ResourceList item by item where that gives kyaml's
// bytes, through kyaml's writer otherwise.
func write(rw *kio.ByteReadWriter, items []*yaml.RNode) error {
	if rw.NoWrap || rw.WrappingKind != kio.ResourceListKind || !rw.KeepReaderAnnotations || rw.Style != 0 {
		return rw.Write(items)
	}
	var out bytes.Buffer
	if ok, err := writeResourceList(&out, rw, items); err != nil || !ok {
		return rw.Write(items)
	}
	_, err := rw.Writer.Write(out.Bytes())
	return err
}

// batch is how many items one document holds: enough that creating encoders costs little,
// few enough that go-yaml's event queue stays small.
const batch = 32

// writeResourceList writes the ResourceList to out, one document per batch of items, and says whether
// it could: false when an item has anchors or aliases.
func writeResourceList(out *bytes.Buffer, rw *kio.ByteReadWriter, items []*yaml.RNode) (bool, error) {
	for _, item := range items {
		if hasAnchors(item.YNode()) {
			return false, nil
		}
	}
	header := mapping("apiVersion", scalar(rw.WrappingAPIVersion), "kind", scalar(rw.WrappingKind))
	if len(items) == 0 {
		header.Content = append(header.Content, scalar("items"), &yaml.Node{Kind: yaml.SequenceNode})
	}
	if err := encode(out, header, ""); err != nil {
		return false, err
	}
	if len(items) > 0 {
		out.WriteString("items:\n")
	}
	for start := 0; start < len(items); start += batch {
		part := &yaml.Node{Kind: yaml.SequenceNode}
		for _, item := range items[start:min(start+batch, len(items))] {
			// kyaml's writer drops an empty annotations map (on its copy; the run is over here).
			if err := yaml.ClearEmptyAnnotations(item); err != nil {
				return false, err
			}
			part.Content = append(part.Content, item.YNode())
		}
		// The items as they are under items: in the whole list, without the key's line.
		if err := encode(out, mapping("items", part), "items:\n"); err != nil {
			return false, err
		}
	}
	for _, tail := range []struct {
		key  string
		node *yaml.RNode
	}{{"functionConfig", rw.FunctionConfig}, {"results", rw.Results}} {
		if tail.node != nil && hasAnchors(tail.node.YNode()) {
			return false, nil
		}
		if tail.node != nil {
			if err := encode(out, mapping(tail.key, tail.node.YNode()), ""); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// encode writes the document of root to out with kyaml's encoder, less its first line, which
// must be strip.
func encode(out *bytes.Buffer, root *yaml.Node, strip string) error {
	start := out.Len()
	if err := yaml.NewEncoder(out).Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return errors.Wrap(err)
	}
	if !bytes.HasPrefix(out.Bytes()[start:], []byte(strip)) {
		return fmt.Errorf("the encoder did not open the item with %q", strip)
	}
	out.Truncate(start + copy(out.Bytes()[start:], out.Bytes()[start+len(strip):]))
	return nil
}

func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

func scalar(value string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: value} }

// hasAnchors reports whether n or a node under it is an alias or carries an anchor. It
// never follows an alias.
func hasAnchors(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return true
	}
	for _, c := range n.Content {
		if hasAnchors(c) {
			return true
		}
	}
	return false
}
