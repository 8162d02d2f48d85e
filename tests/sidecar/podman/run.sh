#!/usr/bin/env bash
# `make test-image`: build the Dockerfile with podman and run the image (tests/sidecar/test_image.py).
#
# What these machines need, and this script does (nothing outside the repository changes but podman's
# image store):
# - podman reads tests/sidecar/podman/containers.conf (ulimits the VM can grant, runc);
# - no registry is reachable, so the base image cannot be pulled: a stand-in is built with mmdebstrap
#   from the Debian release the base is built on, with Debian's python3 and pip, and tagged with the
#   base's exact name (the Dockerfile's ARG BASE without its digest, which only the real image has).
#   It is kept in podman's store and reused by later runs;
# - the build runs with --pull=never and --format docker (the OCI format drops HEALTHCHECK), with the
#   host's CA bundle mounted for pip (outbound TLS is intercepted here);
# - testcontainers talks to podman's Docker-compatible socket, started here for the run.
# Needs root, podman, runc and mmdebstrap (.ci/run installs them); says so and exits 1 without them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
HERE="$ROOT/tests/sidecar/podman"
cd "$ROOT"
export CONTAINERS_CONF="$HERE/containers.conf"
IMAGE="${GEMINI_EMULATOR_IMAGE:-localhost/gemini-batch-emulator:test}"
started=$(date +%s)
say() { echo "test-image [$(($(date +%s) - started)) s]: $*"; }

for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || { echo "test-image: $tool is not installed (apt-get install podman runc mmdebstrap, as root)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "test-image: needs root (podman's rootful store and mmdebstrap)"; exit 1; }

base=$(sed -n 's/^ARG BASE=//p' Dockerfile)   # python:3.11.14-slim-bookworm@sha256:...
tag="${base%@*}"                               # python:3.11.14-slim-bookworm
release="${tag##*-}"                           # bookworm
if podman image exists "docker.io/library/$tag"; then
    say "stand-in for $tag already built"
else
    say "building a stand-in for $tag: Debian $release with python3 and pip (mmdebstrap)"
    mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --include=python3,python3-pip-whl,passwd,ca-certificates \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
        --customize-hook='chroot "$1" sh -c "set -- /usr/share/python-wheels/pip-*.whl && python3 \"\$1/pip\" install --quiet --no-index --no-cache-dir \"\$1\""' \
        "$release" - \
        | podman import --quiet \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'LABEL gemini-batch-emulator.stand-in=mmdebstrap' \
            --change 'CMD ["python3"]' \
            - "docker.io/library/$tag" >/dev/null
fi
say "stand-in: $(podman image inspect --format '{{.Size}}' "docker.io/library/$tag" | awk '{printf "%.0f MB", $1 / 1e6}')"

ca="${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
ca_args=()
[ -f "$ca" ] && ca_args=(--volume "$ca:/ca.pem:ro" --build-arg PIP_CA_BUNDLE=/ca.pem)
say "building $IMAGE"
podman build --quiet --pull=never --format docker --build-arg "BASE=$tag" "${ca_args[@]}" -t "$IMAGE" . >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
say "built $IMAGE: $(awk -v s="$size" 'BEGIN {printf "%.0f MB", s / 1e6}') on the stand-in base"
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | head -12 | cut -c1-150
podman image prune --force >/dev/null   # earlier builds' stages, untagged now (the stand-in stays)

socket_dir="$(mktemp -d)"
podman system service --time=0 "unix://$socket_dir/podman.sock" &
service=$!
trap 'kill "$service" 2>/dev/null; rm -rf "$socket_dir"' EXIT
for _ in $(seq 50); do [ -S "$socket_dir/podman.sock" ] && break; sleep 0.1; done

say "running tests/sidecar/test_image.py"
GEMINI_EMULATOR_TEST_IMAGE="$IMAGE" \
    DOCKER_HOST="unix://$socket_dir/podman.sock" \
    TESTCONTAINERS_CONNECTION_MODE=docker_host \
    TESTCONTAINERS_RYUK_DISABLED=true \
    "$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider tests/sidecar/test_image.py
say "done"
