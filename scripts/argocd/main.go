//go:build ignore

// argocd-test-servers runs Argo CD's own argocd-repo-server and argocd-cmp-server, an
// in-process Redis stand-in for the repo-server's cache, and a gRPC client that asks the
// repo-server for manifests the way the application controller does. It is compiled by
// scripts/argocd-binaries.sh in a module of its own that requires github.com/argoproj/argo-cd/v3
// at the version deploy/argocd pins; the conformance tests drive it.
//
//	argocd-test-servers repo-server [flags]   # Argo CD's argocd-repo-server command
//	argocd-test-servers cmp-server [flags]    # Argo CD's argocd-cmp-server command
//	argocd-test-servers redis ADDRESS
//	argocd-test-servers manifests -server ADDR -repo URL -path DIR [-plugin NAME -env K=V ...] [-build-options OPTS]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/alicebob/miniredis/v2"
	cmpserver "github.com/argoproj/argo-cd/v3/cmd/argocd-cmp-server/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/reposerver/apiclient"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: %s repo-server|cmp-server|redis|manifests ...", os.Args[0]))
	}
	switch os.Args[1] {
	case "repo-server":
		cmd := reposerver.NewCommand()
		cmd.SetArgs(os.Args[2:])
		fail(cmd.Execute())
	case "cmp-server":
		cmd := cmpserver.NewCommand()
		cmd.SetArgs(os.Args[2:])
		fail(cmd.Execute())
	case "redis":
		s := miniredis.NewMiniRedis()
		fail(s.StartAddr(os.Args[2]))
		select {}
	case "manifests":
		fail(manifests(os.Args[2:]))
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
}

type envFlag []string

func (e *envFlag) String() string     { return strings.Join(*e, ",") }
func (e *envFlag) Set(v string) error { *e = append(*e, v); return nil }

// manifests asks for an application's manifests as the application controller does
// (controller/state.go GetRepoObjs: GenerateManifest with the repository, the source, the
// kustomize build options of argocd-cm and the enabled source types), and prints the answer.
func manifests(args []string) error {
	fs := flag.NewFlagSet("manifests", flag.ExitOnError)
	server := fs.String("server", "", "repo-server address")
	repo := fs.String("repo", "", "repository URL")
	path := fs.String("path", "", "path in the repository")
	plugin := fs.String("plugin", "", "config management plugin name (spec.source.plugin.name)")
	buildOptions := fs.String("build-options", "", "kustomize.buildOptions of argocd-cm")
	appName := fs.String("app", "test-app", "Application name")
	var env envFlag
	fs.Var(&env, "env", "plugin env NAME=VALUE (spec.source.plugin.env), repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	source := &v1alpha1.ApplicationSource{RepoURL: *repo, Path: *path, TargetRevision: "HEAD"}
	if *plugin != "" {
		source.Plugin = &v1alpha1.ApplicationSourcePlugin{Name: *plugin}
		for _, e := range env {
			name, value, _ := strings.Cut(e, "=")
			source.Plugin.Env = append(source.Plugin.Env, &v1alpha1.EnvEntry{Name: name, Value: value})
		}
	}
	closer, client, err := apiclient.NewRepoServerClientset(*server, 300, apiclient.TLSConfiguration{DisableTLS: true}).NewRepoServerClient()
	if err != nil {
		return err
	}
	defer closer.Close()
	response, err := client.GenerateManifest(context.Background(), &apiclient.ManifestRequest{
		Repo:              &v1alpha1.Repository{Repo: *repo},
		Revision:          "HEAD",
		AppName:           *appName,
		Namespace:         "argocd",
		ApplicationSource: source,
		KustomizeOptions:  &v1alpha1.KustomizeOptions{BuildOptions: *buildOptions},
		NoCache:           true,
		TrackingMethod:    "annotation",
		EnabledSourceTypes: map[string]bool{
			"helm": true, "kustomize": true, "directory": true, "plugin": true,
		},
		ProjectName:        "default",
		ProjectSourceRepos: []string{"*"},
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"sourceType": response.SourceType, "manifests": response.Manifests})
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-test-servers:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
