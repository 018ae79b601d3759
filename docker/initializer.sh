#!/usr/bin/env sh
# Container entry point: gunicorn managing uvicorn workers on 0.0.0.0:$PORT.
#   PORT             listen port (Cloud Run sets it; default 8000)
#   WEB_CONCURRENCY  worker processes (default 2)
#   BIND_HOST        listen address (default 0.0.0.0; tests use 127.0.0.1)
#   APP_FACTORY      gunicorn app spec (default: the boxoffice API; benchmarks swap it)
#   ACCESS_LOG       1 to log every request (off: Cloud Run and ingresses log requests already)
set -eu

: "${PORT:=8000}"
: "${WEB_CONCURRENCY:=2}"
: "${BIND_HOST:=0.0.0.0}"
: "${GRACEFUL_TIMEOUT:=30}"

# Metrics are summed over workers through files in this folder; a previous run's are cleared.
PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/boxoffice-metrics-$$}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
rm -f "$PROMETHEUS_MULTIPROC_DIR"/*.db
export PROMETHEUS_MULTIPROC_DIR

exec gunicorn "${APP_FACTORY:-boxoffice.serving.main:app_from_env()}" \
    --worker-class uvicorn.workers.UvicornWorker \
    --bind "${BIND_HOST}:${PORT}" \
    --workers "${WEB_CONCURRENCY}" \
    --graceful-timeout "${GRACEFUL_TIMEOUT}" \
    --timeout 60 \
    --keep-alive 5 \
    ${ACCESS_LOG:+--access-logfile -} \
    --error-logfile -
