// Command compare measures llamastack-integration as a whole process against a do-nothing
// kyaml function built from the same module: median wall time and peak memory on
// ResourceLists of 1 to 10,000 items, runs alternating so that both see the same machine,
// and kustomize build of an overlay with either function. It reports the ratios against the
// performance targets in the README. It runs from make bench; it is not a test.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/llamastack-integration/llamastack-integration/bench/resourcelist"
)

type sample struct {
	wall time.Duration
	rss  int64 // peak resident set, KiB
}

func main() {
	runs := flag.Int("runs", 15, "runs of each binary per size (10,000 items: a third of it, at least 5)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "llamastack-bench")
	check(err)
	defer os.RemoveAll(dir)

	fn, noop, kustomize := filepath.Join(dir, "llamastack-integration"), filepath.Join(dir, "noop"), filepath.Join(dir, "kustomize")
	build(fn, "./fn")
	build(noop, "./bench/noop")
	build(kustomize, "sigs.k8s.io/kustomize/kustomize/v5")

	fmt.Println("Whole process: llamastack-integration vs a do-nothing kyaml function (same module), alternating runs")
	fmt.Printf("%-9s %12s %12s %7s %10s %10s %7s\n", "items", "fn median", "noop median", "time", "fn peak", "noop peak", "memory")
	medians := map[int]sample{}
	worstTime, worstMem := 0.0, 0.0
	for _, n := range []int{1, 100, 1000, 10000} {
		input := filepath.Join(dir, fmt.Sprintf("rl-%d.yaml", n))
		check(os.WriteFile(input, resourcelist.Generate(n), 0o644))
		r := *runs
		if n >= 10000 {
			r = max(5, r/3)
		}
		var ours, base []sample
		for i := 0; i < r; i++ {
			ours = append(ours, measure(input, fn))
			base = append(base, measure(input, noop))
		}
		o, b := median(ours), median(base)
		medians[n] = o
		tr, mr := ratio(o.wall, b.wall), float64(o.rss)/float64(b.rss)
		worstTime, worstMem = max(worstTime, tr), max(worstMem, mr)
		fmt.Printf("%-9d %10.1fms %10.1fms %6.2fx %8.1fMB %8.1fMB %6.2fx\n", n, ms(o.wall), ms(b.wall), tr, mb(o.rss), mb(b.rss), mr)
	}
	growth := ratio(medians[10000].wall, medians[1000].wall)

	fmt.Println()
	fmt.Println("kustomize build deploy/overlays/gemini, with llamastack-integration vs with the do-nothing function")
	k := kustomizeCompare(dir, kustomize, fn, noop, *runs)
	fmt.Println()
	fmt.Println("Targets")
	report("time within 1.10x of the do-nothing function at every size", worstTime <= 1.10, fmt.Sprintf("worst %.2fx", worstTime))
	report("memory within 1.10x of the do-nothing function at every size", worstMem <= 1.10, fmt.Sprintf("worst %.2fx", worstMem))
	report("1,000 to 10,000 items grows at most 11x", growth <= 11, fmt.Sprintf("%.1fx", growth))
	report("start-up on a 1-item list under 20 ms median", medians[1].wall < 20*time.Millisecond, fmt.Sprintf("%.1f ms", ms(medians[1].wall)))
	fmt.Printf("kustomize: the function adds %.1f ms over the do-nothing function (%.2fx)\n", ms(k.ours-k.base), ratio(k.ours, k.base))
}

// measure runs bin with input on stdin, output discarded, and returns wall time and peak RSS.
func measure(input, bin string) sample {
	in, err := os.Open(input)
	check(err)
	defer in.Close()
	cmd := exec.Command(bin)
	cmd.Stdin, cmd.Stdout = in, nil
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail("%s failed: %v: %s", bin, err, stderr.String())
	}
	wall := time.Since(start)
	return sample{wall: wall, rss: cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss}
}

type kustomizeResult struct{ ours, base time.Duration }

// kustomizeCompare builds a copy of deploy/ twice, once with each function as the exec path.
func kustomizeCompare(dir, kustomize, fn, noop string, runs int) kustomizeResult {
	overlay := func(name, bin string) string {
		root := filepath.Join(dir, name)
		check(os.CopyFS(filepath.Join(root, "deploy"), os.DirFS("deploy")))
		cfg := filepath.Join(root, "deploy", "overlays", "gemini", "llamastack-integration.yaml")
		b, err := os.ReadFile(cfg)
		check(err)
		check(os.WriteFile(cfg, bytes.Replace(b, []byte("path: ../../../bin/llamastack-integration"), []byte("path: "+bin), 1), 0o644))
		return filepath.Join(root, "deploy", "overlays", "gemini")
	}
	withFn, withNoop := overlay("with-fn", fn), overlay("with-noop", noop)
	var ours, base []time.Duration
	for i := 0; i < runs; i++ {
		ours = append(ours, timeKustomize(kustomize, withFn))
		base = append(base, timeKustomize(kustomize, withNoop))
	}
	r := kustomizeResult{ours: medianDuration(ours), base: medianDuration(base)}
	fmt.Printf("median %.1f ms with the function, %.1f ms with the do-nothing function\n", ms(r.ours), ms(r.base))
	return r
}

func timeKustomize(kustomize, overlay string) time.Duration {
	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", overlay)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail("kustomize build %s: %v: %s", overlay, err, stderr.String())
	}
	return time.Since(start)
}

func build(out, pkg string) {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fail("go build %s: %v", pkg, err)
	}
}

func median(s []sample) sample {
	walls := make([]time.Duration, len(s))
	rss := make([]int64, len(s))
	for i, x := range s {
		walls[i], rss[i] = x.wall, x.rss
	}
	sort.Slice(rss, func(i, j int) bool { return rss[i] < rss[j] })
	return sample{wall: medianDuration(walls), rss: rss[len(rss)/2]}
}

func medianDuration(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func report(target string, met bool, value string) {
	status := "met"
	if !met {
		status = "MISSED"
	}
	fmt.Printf("  %-62s %-8s %s\n", target, status, value)
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
func ms(d time.Duration) float64       { return float64(d.Microseconds()) / 1000 }
func mb(kib int64) float64             { return float64(kib) / 1024 }

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "compare: "+strings.TrimSuffix(format, "\n")+"\n", args...)
	os.Exit(1)
}
