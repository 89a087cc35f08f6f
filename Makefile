# llamastack-integration: build, render and test. Needs only Go; everything else (the pinned
# kustomize CLI, the module's dependencies) comes through the Go module proxy.
SHELL := /bin/bash
# make render's stdout is YAML only, also when make runs inside make.
MAKEFLAGS += --no-print-directory
GO ?= go
BIN := bin
FUNCTION := $(BIN)/llamastack-integration
KUSTOMIZE := $(BIN)/kustomize
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
OVERLAY ?= gemini

.PHONY: all build render test lint unit e2e conformance servers kube-binaries kserve-controllers argocd-binaries server-runtimes golden bench fuzz dist image fmt vet clean

all: build

## build: the function binary (bin/llamastack-integration) and the pinned kustomize CLI (bin/kustomize)
build: $(FUNCTION) $(KUSTOMIZE)

$(FUNCTION): $(shell find fn -type f -not -name '*_test.go' -not -path '*/testdata/*') go.mod go.sum
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $@ ./fn

$(KUSTOMIZE): go.mod go.sum
	$(GO) build -o $@ sigs.k8s.io/kustomize/kustomize/v5

## render: render deploy/overlays/$(OVERLAY) (default gemini) with the function; stdout is
## only YAML (the build's lines go to stderr), so it pipes into kubectl apply -f -
render:
	@$(MAKE) --no-print-directory build >&2
	@$(KUSTOMIZE) build --enable-alpha-plugins --enable-exec deploy/overlays/$(OVERLAY)

## test: everything: vet, gofmt, unit and golden tests, end-to-end through kustomize and kpt,
## conformance against a real kube-apiserver and KServe's own controller, and Argo CD's own
## repo-server, and the real Llama Stack and OGX servers (each built on first use: about 5-11 minutes for the API server, 6 for each
## controller, 4 for Argo CD)
## Every skipped check says why on one line at the end (tests record it through
## internal/testskip), since go test prints nothing of a passing package.
SKIPS := $(abspath $(BIN))/test-skips.txt
test: vet fmt lint kube-binaries kserve-controllers argocd-binaries server-runtimes build
	@rm -f $(SKIPS)
	@echo "$(GO) test -count=1 -timeout 45m ./..."
	@LLAMASTACK_INTEGRATION_SKIPS=$(SKIPS) $(GO) test -count=1 -timeout 45m ./...; status=$$?; \
	  if [ -s $(SKIPS) ]; then sort -u $(SKIPS) | sed 's/^/make test: NOT VERIFIED here: /'; fi; exit $$status

unit:
	$(GO) test -count=1 ./fn/...

e2e: argocd-binaries build
	$(GO) test -count=1 ./e2e/...

## conformance: KServe's real controller, merge and Pod Security checks, server-side dry-run
## on a real kube-apiserver
conformance: kube-binaries kserve-controllers
	$(GO) test -count=1 -timeout 45m ./conformance/...

## kube-binaries: build (or find cached) kube-apiserver and etcd; progress shows on the first run
kube-binaries:
	@scripts/kube-binaries.sh >/dev/null

## kserve-controllers: build (or find cached) KServe's LLMInferenceService controller for
## each release the conformance suite runs, and ODH's fork from ../shared/reference (where absent,
## its tests say so)
KSERVE_VERSIONS := v0.16.0 v0.20.0
kserve-controllers:
	@scripts/kserve-controller.sh $(KSERVE_VERSIONS) >/dev/null
	@scripts/odh-controller.sh >/dev/null || [ $$? = 3 ]

## servers: the real Llama Stack and OGX servers run the rendered start-up (needs root and ../shared)
servers: server-runtimes
	$(GO) test -count=1 -timeout 30m ./servers/...

## server-runtimes: build (or find cached) the servers from ../shared/upstream, for the
## real-server tests; where ../shared is absent the tests say what they did not verify
server-runtimes:
	@scripts/server-runtimes.sh >/dev/null || [ $$? = 3 ]

## argocd-binaries: build (or find cached) Argo CD's repo-server and cmp-server at the
## version deploy/argocd pins, for the Argo CD tests
argocd-binaries:
	@scripts/argocd-binaries.sh >/dev/null

## golden: rewrite every golden file from the actual output; review the diff before committing
GOLDEN_PACKAGES := ./fn ./fn/processor ./e2e
golden: build
	$(GO) generate ./...
	$(GO) test -count=1 $(GOLDEN_PACKAGES) -update

## dist: static release binaries for linux/amd64 and linux/arm64 with SHA256SUMS, in $(DIST)
DIST ?= dist
PLATFORMS := linux/amd64 linux/arm64
dist:
	@mkdir -p $(DIST)
	@for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; out=$(DIST)/llamastack-integration_$(VERSION)_$${os}_$${arch}; \
	  echo "building $$out"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $$out ./fn || exit 1; \
	done
	cd $(DIST) && sha256sum llamastack-integration_$(VERSION)_* > SHA256SUMS

## image: the container image, offline (FROM scratch: the static binary and /etc/passwd), with
## podman, or docker where podman is absent; the same commit builds the same image
IMAGE ?= ghcr.io/llamastack-integration/llamastack-integration:$(VERSION)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
image:
	@mkdir -p $(BIN)/image
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "-s -w -buildid= -X main.version=$(VERSION)" -o $(BIN)/image/llamastack-integration ./fn
	@if [ "$(ENGINE)" = podman ]; then \
	  podman build $(IMAGE_BUILD_FLAGS) --timestamp 0 --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE) . ; \
	else \
	  SOURCE_DATE_EPOCH=0 docker build $(IMAGE_BUILD_FLAGS) --build-arg SOURCE_DATE_EPOCH=0 --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE) . ; \
	fi

## bench: Go benchmarks of the processor, then whole-process comparisons with a do-nothing
## function and through kustomize (see the README's performance section)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./fn/processor
	$(GO) test -run '^$$' -bench '^BenchmarkAliasBombs$$' -benchmem -count 1 ./fn
	$(GO) run ./bench/compare

## fuzz: each fuzz target for 60 s; crashers stay in fn/processor/testdata/fuzz as regression cases
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzProcessor$$' -fuzztime $(FUZZTIME) ./fn/processor
	$(GO) test -run '^$$' -fuzz '^FuzzConfig$$' -fuzztime $(FUZZTIME) ./fn/processor
	$(GO) test -run '^$$' -fuzz '^FuzzAliases$$' -fuzztime $(FUZZTIME) ./fn/processor

vet:
	$(GO) vet ./...

## lint: staticcheck with every check (staticcheck.conf), run from the module proxy at a
## pinned version
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) run $(STATICCHECK) ./...

fmt:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN) dist
