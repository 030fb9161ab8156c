# The hardened image: the static pushgateway-rs binary alone in an empty root (README,
# "Container image"). One architecture, or both at once:
#   docker build -t pushgateway-rs .
#   docker buildx build --platform linux/amd64,linux/arm64 -t pushgateway-rs .
# tests/interop/test_container*.py check what this file promises, without a Docker engine.

# Build stage ("dev" role): the official Rust image, on the build machine's own platform; it
# cross-compiles for TARGETARCH through scripts/build-static, the script CI builds with.
FROM --platform=$BUILDPLATFORM rust:1-bookworm AS dev
ARG TARGETARCH
WORKDIR /src
# The Rust target and, for a cross build, Debian's gcc for TARGETARCH: a layer of its own, kept
# while the sources change.
COPY scripts/build-static scripts/build-static
RUN scripts/build-static --tools-only "$TARGETARCH"
COPY . .
# .git stays out of the context: pass these to stamp `--version` and pushgateway_build_info.
ARG PUSHGATEWAY_REVISION
ARG PUSHGATEWAY_BRANCH
RUN binary="$(scripts/build-static "$TARGETARCH")" \
 && install -D "$binary" /out/bin/pushgateway \
 && mkdir /out/pushgateway /out/data

# Runtime: the binary (root-owned, so the server cannot replace it), the working directory and
# the persistence volume owned by nobody (65534). No shell, no libc, no /etc.
FROM scratch
LABEL org.opencontainers.image.title="pushgateway-rs" \
      org.opencontainers.image.description="A drop-in replacement for the Prometheus Pushgateway" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=dev /out/bin/pushgateway /bin/pushgateway
COPY --from=dev --chown=65534:65534 /out/pushgateway /pushgateway
COPY --from=dev --chown=65534:65534 /out/data /data
USER 65534:65534
WORKDIR /pushgateway
EXPOSE 9091
# For --persistence.file=/data/pushgateway.snap; memory only without that flag, as upstream.
VOLUME ["/data"]
ENTRYPOINT ["/bin/pushgateway"]
