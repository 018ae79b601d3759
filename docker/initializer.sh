#!/usr/bin/env sh
# Container entry point: gunicorn managing uvicorn workers on 0.0.0.0:$PORT.
#   PORT             listen port (Cloud Run sets it; default 8000)
#   WEB_CONCURRENCY  worker processes (default 2)
#   BIND_HOST        listen address (default 0.0.0.0; tests use 127.0.0.1)
#   APP_FACTORY      gunicorn app spec (default: the boxoffice API; benchmarks swap it)
#   ACCESS_LOG       1 to log every request (off: Cloud Run and ingresses log requests already)
# Slow clients and connection limits: BOXOFFICE_HEADER_TIMEOUT_S (10), BOXOFFICE_BODY_TIMEOUT_S
# (30) and BOXOFFICE_MAX_CONNECTIONS (200 per worker), read by boxoffice.serving.worker.
set -eu

: "${PORT:=8000}"
: "${WEB_CONCURRENCY:=2}"
: "${BIND_HOST:=0.0.0.0}"
: "${GRACEFUL_TIMEOUT:=30}"

# Memory per worker: glibc gives each thread (the shipper, the model watcher) its own malloc
# arena, and pyarrow's jemalloc pool keeps what the lake writer freed. Two arenas and the
# system pool: measured 228 -> 203 MB per worker after 3,000 predictions (docs/performance.md).
: "${MALLOC_ARENA_MAX:=2}"
: "${ARROW_DEFAULT_MEMORY_POOL:=system}"
export MALLOC_ARENA_MAX ARROW_DEFAULT_MEMORY_POOL

# Metrics are summed over workers through files in this folder. Without one given, a private
# folder (mode 700, unpredictable name) is made here and removed by gunicorn's on_exit hook.
if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    PROMETHEUS_MULTIPROC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/boxoffice-metrics.XXXXXXXX")"
    BOXOFFICE_REMOVE_METRICS_DIR=1
    export BOXOFFICE_REMOVE_METRICS_DIR
fi
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
rm -f "$PROMETHEUS_MULTIPROC_DIR"/*.db  # a previous run's figures are not this run's
export PROMETHEUS_MULTIPROC_DIR

# exec: gunicorn takes this PID and receives SIGTERM itself (no orphaned workers).
exec gunicorn "${APP_FACTORY:-boxoffice.serving.main:app_from_env()}" \
    --config python:boxoffice.serving.gunicorn_hooks \
    --worker-class boxoffice.serving.worker.Worker \
    --bind "${BIND_HOST}:${PORT}" \
    --workers "${WEB_CONCURRENCY}" \
    --graceful-timeout "${GRACEFUL_TIMEOUT}" \
    --timeout 60 \
    --keep-alive 5 \
    ${ACCESS_LOG:+--access-logfile -} \
    --error-logfile -
