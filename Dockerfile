# Frontdesk: a static, cgo-free binary on a distroless base, running as non-root.
#   docker build -t frontdesk .
#   docker run -p 8080:8080 --env-file .env -v frontdesk-data:/data frontdesk
# Port 8080 (PORT) is the public one: the webhook and GET /healthz only.
# Port 9090 (ADMIN_ADDR, on every interface inside the container) serves
# GET /readyz (readiness: database, Green API instance state, paused calls)
# and GET /metrics (Prometheus): publish it only to a private network, e.g.
# -p 127.0.0.1:9090:9090, or set METRICS_TOKEN. Locales and default rules
# are embedded; mount a directory and set LOCALES_DIR / RULES_FILE to customize.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/frontdesk . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/frontdesk /usr/local/bin/frontdesk
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATABASE_URL=/data/frontdesk.db PORT=8080 ADMIN_ADDR=0.0.0.0:9090
VOLUME /data
EXPOSE 8080 9090
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/frontdesk", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/frontdesk"]
