# syntax=docker/dockerfile:1
# Build: docker build -t tiltguard .
# Run:   docker run --env-file .env -v tiltguard-data:/app/data tiltguard

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so code changes do not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY sim/Cargo.toml sim/Cargo.toml
RUN mkdir -p src sim/src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs sim/src/lib.rs \
    && cargo build --release --locked --bin tiltguard \
    && rm -rf src sim/src
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin tiltguard

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app tiltguard
WORKDIR /app
COPY --from=build /src/target/release/tiltguard /usr/local/bin/tiltguard
COPY personalities ./personalities
COPY prompts ./prompts
RUN mkdir -p /app/data && chown tiltguard /app/data
USER tiltguard
ENV DATABASE_URL=sqlite:///app/data/tiltguard.db \
    HTTP_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ok <&3"]
ENTRYPOINT ["tiltguard"]
CMD ["serve"]
