package processor_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/llamastack-integration/llamastack-integration/bench/resourcelist"
	"github.com/llamastack-integration/llamastack-integration/fn/processor"
)

// BenchmarkProcess measures the whole ResourceList round trip (read, process, write) of the
// function and, side by side, of a function that changes nothing: the difference is what
// the transform costs. Run with make bench (benchstat-friendly output).
func BenchmarkProcess(b *testing.B) {
	noop := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	for _, n := range []int{1, 100, 1000, 10000} {
		input := resourcelist.Generate(n)
		for _, c := range []struct {
			name string
			p    framework.ResourceListProcessor
		}{{"function", processor.New()}, {"noop", noop}} {
			b.Run(fmt.Sprintf("%s/resources=%d", c.name, n), func(b *testing.B) {
				b.SetBytes(int64(len(input)))
				b.ReportAllocs()
				for b.Loop() {
					rw := &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: io.Discard}
					if err := framework.Execute(c.p, rw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
