# llamastack-integration as a KRM function container (kustomize, kpt) and as the source of the
# binary for Argo CD's repo-server (llamastack-integration install DIR).
#
# Build it with `make image`: it builds the static release binary into bin/image/ first, then
# this file copies it into an empty image. No base image is pulled, so the build works offline,
# and `make image` fixes every timestamp, so the same commit builds the same image.
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="llamastack-integration" \
      org.opencontainers.image.description="KRM function: Llama Stack behind the MaaS gateway as a KServe LLMInferenceService" \
      org.opencontainers.image.source="https://github.com/llamastack-integration/llamastack-integration" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="NOASSERTION"

# kustomize runs container functions as `nobody`, which must exist; the image's own user is
# nonroot. Kubernetes verifies runAsNonRoot only for a numeric USER.
COPY image/etc/passwd image/etc/group /etc/
COPY bin/image/llamastack-integration /usr/local/bin/llamastack-integration
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/llamastack-integration"]
