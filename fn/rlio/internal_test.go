package rlio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

// TestItemByItem: the writer writes item by item (the other test compares its bytes), except
// where an item has anchors or aliases.
func TestItemByItem(t *testing.T) {
	for _, tc := range []struct {
		input string
		ok    bool
	}{
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n# c\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", true},
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n", true},
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: &l {a: b}}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, labels: *l}}\n", false},
	} {
		rw := &kio.ByteReadWriter{Reader: strings.NewReader(tc.input), KeepReaderAnnotations: true}
		items, err := rw.Read()
		require.NoError(t, err)
		var out bytes.Buffer
		ok, err := writeResourceList(&out, rw, items)
		require.NoError(t, err)
		require.Equal(t, tc.ok, ok, tc.input)
	}
}
