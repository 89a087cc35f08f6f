# llamastack-integration as a KRM function container (kpt, kustomize with Docker) and as the
# source of the binary for Argo CD's repo-server (llamastack-integration install DIR).
# Build: make image (needs a Docker engine).

FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY fn/ fn/
ARG VERSION=dev
# Static (no cgo), reproducible paths, version stamped.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/llamastack-integration ./fn

# distroless static, nonroot: kustomize and kpt run function containers as an unprivileged
# user, which must exist in the image (a scratch image has no /etc/passwd).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/llamastack-integration /usr/local/bin/llamastack-integration
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/llamastack-integration"]
