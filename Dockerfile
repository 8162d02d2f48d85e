# gemini-batch-emulator as a sidecar or CI service container.
#
#   docker build -t gemini-batch-emulator .
#   docker run --rm -p 8790:8790 -v gemini-data:/data gemini-batch-emulator
#
# Every setting is an environment variable (GEMINI_EMULATOR_<FLAG>) or a flag appended to
# `docker run ... gemini-batch-emulator --seed 7`. The host is set by ENV rather than by a
# `--host` flag so that it, too, can be overridden by environment (flags beat the environment).
# Nothing is fetched at start-up. `make test-image` builds this file with podman and runs the image;
# tests/sidecar/ also runs its ENTRYPOINT and HEALTHCHECK on the host. Size: docs/sidecar.md.
#
# Reproducible: the base is pinned by patch version and digest, and every Python package by
# constraints.txt (the file CI's own environments install from; `make lock` refreshes it).
ARG BASE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${BASE} AS build
WORKDIR /src
COPY constraints.txt pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
# The package and its dependencies, installed under /install only: the final stage copies that tree
# and nothing else (no wheels, no pip cache). PIP_CONSTRAINT reaches the isolated build of the
# wheel too, so the build backend is pinned as well. PIP_CA_BUNDLE: a CA bundle for pip where
# outbound TLS is intercepted (mount it for the build only:
# `--volume /etc/ssl/certs/ca-certificates.crt:/ca.pem:ro --build-arg PIP_CA_BUNDLE=/ca.pem`).
ARG PIP_CA_BUNDLE=""
RUN env ${PIP_CA_BUNDLE:+PIP_CERT=$PIP_CA_BUNDLE} PIP_CONSTRAINT=/src/constraints.txt \
    pip install --no-cache-dir --root-user-action=ignore --no-warn-script-location --root /install .
# tini as PID 1: it forwards `docker stop`'s SIGTERM and reports how the emulator ended (143 after a
# SIGTERM; a bare PID 1 would be spared the signal the server re-raises and exit 0), and it reaps
# orphaned worker processes. Its static build is one file, copied along with the rest.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && install -D /usr/bin/tini-static /install/usr/local/bin/tini \
    && rm -rf /var/lib/apt/lists/*

FROM ${BASE}
LABEL org.opencontainers.image.title="gemini-batch-emulator" \
      org.opencontainers.image.description="A local emulator of the Gemini API Files API and Batch Mode" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /install /
RUN groupadd --system --gid 10001 emulator \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home emulator \
    && mkdir -p /data \
    && chown emulator:emulator /data
WORKDIR /app
# The shipped scenarios and rule files, by path too: --scenario fixtures/scenarios/fast.toml
COPY fixtures ./fixtures
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GEMINI_EMULATOR_HOST=0.0.0.0 \
    GEMINI_EMULATOR_PORT=8790 \
    GEMINI_EMULATOR_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8790
USER 10001:10001
# No curl in a slim image: the CLI probes /_emulator/health itself (same host and port variables).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["gemini-batch-emulator", "healthcheck"]
# SIGTERM (docker stop) lets requests in flight finish; running batches resume at the next start.
# The container exits with status 143 (128 + SIGTERM).
ENTRYPOINT ["tini", "--", "gemini-batch-emulator", "serve"]
