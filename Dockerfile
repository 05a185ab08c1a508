# syntax=docker/dockerfile:1
# eventproc: a static, non-root image holding only the binary.
#   docker build -t eventproc .
#   docker run --rm eventproc run --brokers kafka:9092
# The Go version matches go.mod; the module and build caches are BuildKit cache
# mounts, so rebuilding after a source change does not download modules again.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/eventproc ./cmd/eventproc

# distroless/static: CA certificates and tzdata for TLS to brokers, no shell, no libc
# (the binary is static), and a non-root user (65532) by default.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/eventproc /eventproc
USER nonroot:nonroot
# --metrics-addr default: /metrics, /healthz, /readyz
EXPOSE 9464
ENTRYPOINT ["/eventproc"]
CMD ["run"]
