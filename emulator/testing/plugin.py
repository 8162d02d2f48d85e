"""The pytest plugin: the emulator as a fixture, in-process or against a running sidecar.

Registered through the `pytest11` entry point. Importing it costs nothing for projects that do not
use its fixtures: everything heavy is imported inside them.

Fixtures:
- `gemini_emulator`: a `GeminiEmulator` with its own API key on a session-wide emulator (an
  in-process server on a free loopback port, or `--gemini-emulator-url`), configured by the
  `gemini_emulator` marker; while the test runs, `GOOGLE_GEMINI_BASE_URL` and `GOOGLE_API_KEY`
  point at it, so code that builds its own `genai.Client()` is tested unchanged.
- `genai_client`, `genai_async_client`: official SDK clients pointed at it.
- `gemini_emulator_settings` (session): the in-process emulator's `Settings`; override it in a
  `conftest.py` for suite-wide settings.
- `gemini_webhook_receiver`: a webhook receiver on a free port, wired to the test's key, that keeps
  the deliveries it could verify (`wait_for("batch.succeeded")`; docs/webhooks.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from google import genai

    from emulator.config import Settings
    from emulator.control import EmulatorControl
    from emulator.testing import GeminiEmulator
    from emulator.webhooks.receiver import WebhookReceiver

URL_ENV = "GEMINI_EMULATOR_URL"
WEBHOOK_HOST_ENV = "GEMINI_WEBHOOK_HOST"
WEBHOOK_PUBLIC_HOST_ENV = "GEMINI_WEBHOOK_PUBLIC_HOST"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gemini-emulator")
    group.addoption(
        "--gemini-emulator-url",
        default=None,
        help=f"Use an already running emulator (e.g. a docker sidecar) instead of starting one (default: ${URL_ENV}).",
    )
    group.addoption(
        "--gemini-webhook-host",
        default=None,
        help="Address gemini_webhook_receiver listens on: 127.0.0.1, or 0.0.0.0 for a sidecar to reach it "
        f"(default: ${WEBHOOK_HOST_ENV}, else 127.0.0.1).",
    )
    group.addoption(
        "--gemini-webhook-public-host",
        default=None,
        help="The name a sidecar reaches this test runner by (e.g. host.docker.internal), put in the receiver's "
        f"URL (default: ${WEBHOOK_PUBLIC_HOST_ENV}, else the listening address).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "gemini_emulator(scenario=None, clock=None, clock_start=None, request_error_rate=None, queue_delay=None, "
        "request_latency=None, batch_overhead=None, faults=None, responses=None, **settings): configure the "
        "emulator for one test. Other Settings fields give the test an in-process emulator of its own.",
    )


@pytest.fixture(scope="session")
def gemini_emulator_settings() -> Settings:
    """Settings of the session's in-process emulator: ephemeral, batches answered at once."""
    from emulator.config import Settings

    return Settings(data_dir=None, queue_delay=0, request_latency=0)


@pytest.fixture(scope="session")
def gemini_emulator_url(pytestconfig: pytest.Config, gemini_emulator_settings: Settings) -> Iterator[str]:
    """The URL of the session's emulator: the sidecar's, or one started here in a thread."""
    url = pytestconfig.getoption("gemini_emulator_url") or os.environ.get(URL_ENV)
    if url:
        _check_reachable(url)
        yield url.rstrip("/")
        return
    from emulator.testing import serve_in_thread

    with serve_in_thread(gemini_emulator_settings) as server:
        yield server.url


@pytest.fixture(scope="session")
def gemini_emulator_control(gemini_emulator_url: str) -> Iterator[EmulatorControl]:
    """The control-plane client of the session's emulator (one connection pool for all tests)."""
    from emulator.control import EmulatorControl

    with EmulatorControl(gemini_emulator_url) as control:
        yield control


@pytest.fixture
def gemini_emulator(
    request: pytest.FixtureRequest, gemini_emulator_control: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GeminiEmulator]:
    from emulator.control import EmulatorControl
    from emulator.ids import unique_key
    from emulator.testing import PER_KEY_OPTIONS, GeminiEmulator

    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("gemini_emulator"))):
        options.update(marker.kwargs)
    own = {k: v for k, v in options.items() if k not in PER_KEY_OPTIONS}
    with _server_for(request, gemini_emulator_control.url, own) as url:
        control = gemini_emulator_control if url == gemini_emulator_control.url else EmulatorControl(url)
        emulator = GeminiEmulator(url, unique_key("test-"), control)
        per_key = {k: v for k, v in options.items() if k in PER_KEY_OPTIONS}
        if per_key:
            emulator.configure(**per_key)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)
        monkeypatch.setenv("GOOGLE_API_KEY", emulator.api_key)
        monkeypatch.delenv("GEMINI_API_KEY", raising=False)
        monkeypatch.delenv("GOOGLE_GENAI_USE_VERTEXAI", raising=False)
        yield emulator
        if per_key and not own:
            emulator.reset()  # drop this key's rules from the shared emulator
        if control is not gemini_emulator_control:
            control.close()


@pytest.fixture
def genai_client(gemini_emulator: GeminiEmulator) -> genai.Client:
    """A google-genai client pointed at the test's emulator, with the test's API key."""
    from google import genai

    return genai.Client(api_key=gemini_emulator.api_key, http_options={"base_url": gemini_emulator.url})


@pytest.fixture
def genai_async_client(genai_client: genai.Client) -> Any:
    """The async face of `genai_client` (`client.aio`)."""
    return genai_client.aio


@pytest.fixture
def gemini_webhook_receiver(pytestconfig: pytest.Config, gemini_emulator: GeminiEmulator) -> Iterator[WebhookReceiver]:
    """A receiver on a free port for this test: it verifies each delivery (the HMAC signature of the
    test key's webhooks, whatever created them, or a dynamic webhook's JWT against the emulator's
    JWKS) and keeps those it could; `subscribe()` registers it as a static webhook of the test's key,
    `url` is what to give `webhookConfig.uris`, `respond(500, ...)` scripts its answers."""
    from emulator.webhooks.receiver import WebhookReceiver

    host = pytestconfig.getoption("gemini_webhook_host") or os.environ.get(WEBHOOK_HOST_ENV) or "127.0.0.1"
    public = pytestconfig.getoption("gemini_webhook_public_host") or os.environ.get(WEBHOOK_PUBLIC_HOST_ENV)
    with WebhookReceiver(
        host=host,
        public_host=public or None,
        jwks_url=f"{gemini_emulator.url}/.well-known/jwks.json",
        emulator_url=gemini_emulator.url,
        api_key=gemini_emulator.api_key,
    ) as receiver:
        yield receiver


def _check_reachable(url: str) -> None:
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/_emulator/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        raise pytest.UsageError(f"no gemini-batch-emulator answers at {url}: {exc}") from None


class _server_for:
    """The shared emulator, unless the marker asks for settings only a server of its own can have."""

    def __init__(self, request: pytest.FixtureRequest, shared_url: str, own: dict[str, Any]) -> None:
        self.request, self.shared_url, self.own = request, shared_url, own
        self._context: Any = None

    def __enter__(self) -> str:
        if not self.own:
            return self.shared_url
        if self.request.config.getoption("gemini_emulator_url") or os.environ.get(URL_ENV):
            pytest.fail(
                f"gemini_emulator({', '.join(sorted(self.own))}=...) needs an emulator of its own, which "
                "cannot be started against a sidecar; start the sidecar with these settings instead.",
                pytrace=False,
            )
        from emulator.testing import serve_in_thread

        settings = self.request.getfixturevalue("gemini_emulator_settings").replace(**self.own)
        self._context = serve_in_thread(settings)
        url: str = self._context.__enter__().url
        return url

    def __exit__(self, *exc: object) -> None:
        if self._context is not None:
            self._context.__exit__(*exc)
