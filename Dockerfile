# gemini-batch-emulator as a sidecar or CI service container.
#
#   docker build -t gemini-batch-emulator .
#   docker run --rm -p 8790:8790 -v gemini-data:/data gemini-batch-emulator
#
# Every setting is an environment variable (GEMINI_EMULATOR_<FLAG>) or a flag appended to
# `docker run ... gemini-batch-emulator --seed 7`. The host is set by ENV rather than by a
# `--host` flag so that it, too, can be overridden by environment (flags beat the environment).
# Nothing is fetched at start-up; tests/sidecar/ runs the ENTRYPOINT and HEALTHCHECK below on the
# host and checks their essentials. Size: see docs/sidecar.md ("Image size").
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim
LABEL org.opencontainers.image.title="gemini-batch-emulator" \
      org.opencontainers.image.description="A local emulator of the Gemini API Files API and Batch Mode" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 emulator \
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
ENTRYPOINT ["gemini-batch-emulator", "serve"]
