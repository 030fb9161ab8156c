# Multi-stage build of a static pushgateway-rs image (issue 6 finishes and tests this).
# Build stage ("dev" role): the official Rust image with the musl target, and musl-gcc for the
# C and assembly of ring (TLS, the default feature `tls`; see .cargo/config.toml).
FROM rust:1-bookworm AS dev
ARG TARGETARCH=amd64
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
RUN case "$TARGETARCH" in \
      amd64) echo x86_64-unknown-linux-musl > /rust-target ;; \
      arm64) echo aarch64-unknown-linux-musl > /rust-target ;; \
      *) echo "unsupported TARGETARCH $TARGETARCH" >&2; exit 1 ;; \
    esac \
 && rustup target add "$(cat /rust-target)"
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target "$(cat /rust-target)" \
 && install -D "target/$(cat /rust-target)/release/pushgateway" /out/bin/pushgateway \
 && mkdir -p /out/pushgateway /out/data

# Runtime: nothing but the binary and two directories owned by nobody (65534).
FROM scratch
LABEL org.opencontainers.image.title="pushgateway-rs" \
      org.opencontainers.image.description="A drop-in replacement for the Prometheus Pushgateway" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=dev /out/bin/pushgateway /bin/pushgateway
COPY --from=dev --chown=65534:65534 /out/pushgateway /pushgateway
COPY --from=dev --chown=65534:65534 /out/data /data
USER 65534:65534
WORKDIR /pushgateway
EXPOSE 9091
ENTRYPOINT ["/bin/pushgateway"]
