package processor_test

import (
	"bytes"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/llamastack-integration/llamastack-integration/bench/resourcelist"
	"github.com/llamastack-integration/llamastack-integration/fn/processor"
	"github.com/llamastack-integration/llamastack-integration/fn/rlio"
)

// BenchmarkProcess measures the whole ResourceList round trip (read, process, write) of the
// function and, side by side, of a function that changes nothing: the difference is what
// the transform costs. Run with make bench (benchstat-friendly output).
func BenchmarkProcess(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		input := resourcelist.Generate(n)
		for _, c := range processors() {
			b.Run(fmt.Sprintf("%s/resources=%d", c.name, n), func(b *testing.B) { roundTrips(b, c, input) })
		}
	}
}

// BenchmarkServices is BenchmarkProcess with 10% of the resources LLMInferenceServices,
// five to a namespace, at 1,000 and 10,000 resources. What the function adds over the
// do-nothing function must grow tenfold between them, like the input and the output; a
// scan of every item for each service grows a hundredfold. (Its names do not match the
// before-stop hook's 'Process/.*/resources=10000$'.)
func BenchmarkServices(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		input := resourcelist.WithServices(n, n/10)
		for _, c := range processors() {
			b.Run(fmt.Sprintf("%s/resources=%d", c.name, n), func(b *testing.B) { roundTrips(b, c, input) })
		}
	}
}

// namedProcessor is a processor and how its binary runs it: the function with its own
// ResourceList writer (fn/rlio), the do-nothing function with kyaml's.
type namedProcessor struct {
	name    string
	p       framework.ResourceListProcessor
	execute func(framework.ResourceListProcessor, *kio.ByteReadWriter) error
}

func processors() []namedProcessor {
	noop := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	return []namedProcessor{{"function", processor.New(), rlio.Execute}, {"noop", noop, framework.Execute}}
}

// roundTrips reads input, runs p and writes the result, b.N times, after one untimed round
// trip: the first run of a size grows the heap (about 0.5 s at 10,000 resources), which
// would otherwise fall on whichever processor runs first. Besides wall time it reports
// cpu-ns/op, the process's CPU time (garbage collection included): on a shared machine,
// others' load stretches wall time far more than it does CPU time.
func roundTrips(b *testing.B, p namedProcessor, input []byte) {
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	roundTrip(b, p, input)
	start := cpuTime(b)
	for b.Loop() {
		roundTrip(b, p, input)
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// roundTrip reads, processes and writes as the binaries do (fn/main.go, bench/noop), with
// kyaml's reader keeping its annotations.
func roundTrip(b *testing.B, p namedProcessor, input []byte) {
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: io.Discard, KeepReaderAnnotations: true}
	if err := p.execute(p.p, rw); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
