#!/bin/sh
# Runs in the `dapr-init` service of docker-compose.yml. The Dapr components in components/ are
# written for the local stack (Redis and Kafka on 127.0.0.1); in Compose, daprd shares the app's
# network namespace, where those services are reached by name. This copies the mounted
# components/ (read-only, the single source) into the volume daprd reads, rewriting only the
# two addresses, and fails if either address is no longer there (so a change in components/
# cannot silently leave daprd pointing at nothing).
set -eu
src=/components
dst=/dapr/components
mkdir -p "$dst"
grep -q '127.0.0.1:6379' "$src/statestore.yaml" || { echo "dapr-init: components/statestore.yaml no longer names 127.0.0.1:6379" >&2; exit 1; }
grep -q '127.0.0.1:9092' "$src/pubsub.yaml" || { echo "dapr-init: components/pubsub.yaml no longer names 127.0.0.1:9092" >&2; exit 1; }
for f in "$src"/*.yaml; do
  sed -e 's/127\.0\.0\.1:6379/redis:6379/g' -e 's/127\.0\.0\.1:9092/kafka:9092/g' "$f" > "$dst/$(basename "$f")"
done
# The scheduler's embedded etcd runs as the distroless image's nonroot user (65532).
mkdir -p /dapr/scheduler
chown -R 65532:65532 /dapr/scheduler
ls -l "$dst"
