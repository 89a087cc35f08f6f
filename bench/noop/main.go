// Command noop is a kyaml fn/framework function that changes nothing: the baseline that
// make bench compares llamastack-integration with, built from the same module and kyaml,
// and the e2e tests' reference for what kyaml's round trip alone does to a manifest. It
// takes a ResourceList on stdin, or CONFIG [INPUT...] like the function.
package main

import (
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"
)

func main() {
	noop := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	if err := command.Build(noop, command.StandaloneEnabled, false).Execute(); err != nil {
		os.Exit(1)
	}
}
