"""A webhook receiver for tests: an HTTP server on a free loopback port that records what it is sent,
verifies it, and answers as scripted.

    with WebhookReceiver() as receiver:
        receiver.secret = webhook.new_signing_secret      # static webhooks: check the HMAC signature
        ...
        event = receiver.wait_for("batch.succeeded", timeout=10)

Static deliveries are checked as Standard Webhooks receivers do (every `v1,` entry against the secret,
the timestamp within 5 minutes); dynamic ones as an RS256 JWT against the emulator's JWKS (`jwks_url`),
with `aud` the URL it was sent to. Only verified deliveries count for `wait_for` and `events`; every
request is kept in `requests`. `respond(500, 500)` answers the next two requests 500, then 200 again;
`hang = True` keeps requests waiting (until `hang` is cleared or the receiver stops).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from emulator.webhooks import signing

TOLERANCE_S = 300
BATCH_EVENTS = ("batch.succeeded", "batch.failed", "batch.expired")


@dataclass
class Received:
    """One request as it came in."""

    path: str
    headers: dict[str, str]
    body: bytes
    wall_time: float
    status: int = 200
    verified: bool = False
    error: str | None = None
    claims: dict[str, Any] | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event_type(self) -> str | None:
        try:
            kind = self.json.get("type")
        except (ValueError, AttributeError):
            return None
        return str(kind) if kind is not None else None

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class WebhookReceiver:
    host: str = "127.0.0.1"  # the address it listens on
    secret: str | None = None  # a static webhook's signing secret (`whsec_...`)
    jwks_url: str | None = None  # the emulator's `/.well-known/jwks.json`, for dynamic webhooks
    public_host: str | None = None  # the host the emulator reaches it by (a sidecar: the test runner's name)
    emulator_url: str | None = None  # for `subscribe`: the emulator, and the test's API key
    api_key: str | None = None
    hang: bool = False
    requests: list[Received] = field(default_factory=list)
    _script: deque[int] = field(default_factory=deque)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None
    _jwks: dict[str, Any] | None = None

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="webhook-receiver").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.hang = False
            with self._changed:
                self._changed.notify_all()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the receiver first"
        host = self.public_host or ("127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host)
        return f"http://{host}:{self._server.server_address[1]}/webhook"

    def subscribe(self, *events: str, name: str | None = None) -> dict[str, Any]:
        """Register this receiver as a static webhook of `api_key` (default: every batch event but
        `batch.cancelled`) and keep its signing secret; returns the webhook as created."""
        assert self.emulator_url and self.api_key, "subscribe needs emulator_url and api_key"
        body = {"uri": self.url, "subscribed_events": list(events or BATCH_EVENTS), **({"name": name} if name else {})}
        request = urllib.request.Request(
            f"{self.emulator_url.rstrip('/')}/v1beta/webhooks",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "x-goog-api-key": self.api_key},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            webhook: dict[str, Any] = json.load(answer)
        self.secret = webhook["new_signing_secret"]
        return webhook

    # -- scripting and reading -------------------------------------------------------------------
    def respond(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order (then 200 again)."""
        self._script.extend(statuses)

    @property
    def events(self) -> list[Received]:
        """Verified deliveries, in the order they came."""
        with self._changed:
            return [r for r in self.requests if r.verified]

    def wait_for(self, event_type: str | None = None, timeout: float = 10.0, *, count: int = 1) -> Received:
        """The `count`-th verified delivery of `event_type` (any type if None), waiting up to `timeout`
        real seconds for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self.requests if r.verified and event_type in (None, r.event_type)]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{r.event_type} ({r.error or 'verified'})" for r in self.requests]
                    raise AssertionError(
                        f"no {event_type or 'delivery'} (#{count}) within {timeout:g} s; received: {seen or 'nothing'}"
                    )
                self._changed.wait(left)

    # -- handling --------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        received = Received(
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            wall_time=time.time(),
        )
        try:
            received.claims = self._verify(received)
            received.verified = True
        except ValueError as exc:
            received.error = str(exc)
        with self._changed:
            received.status = self._script.popleft() if self._script else (200 if received.verified else 400)
            if received.status >= 300 or not received.verified:
                received.verified = False  # only acknowledged, verified deliveries count as events
            self.requests.append(received)
            self._changed.notify_all()
            while self.hang and self._server is not None:
                self._changed.wait(0.05)
        with contextlib.suppress(OSError):
            handler.send_response(received.status)
            handler.send_header("content-length", "0")
            handler.end_headers()

    def _verify(self, received: Received) -> dict[str, Any] | None:
        headers = received.headers
        msg_id, stamp, signature = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
        if not (msg_id and stamp and signature):
            raise ValueError("missing webhook-id, webhook-timestamp or webhook-signature")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_S:
            raise ValueError("webhook-timestamp is missing or more than 5 minutes off")
        if signature.count(".") == 2 and not signature.startswith("v1,"):
            return self._verify_jwt(signature, received)
        for secrets in (self._secrets(fetch=False), self._secrets(fetch=True)):
            for secret in secrets:
                expected = signing.hmac_signature(secret, msg_id, int(stamp), received.body)
                if any(hmac.compare_digest(expected, part) for part in signature.split(" ")):
                    return None
        if self.secret is None and not (self.emulator_url and self.api_key):
            raise ValueError("no secret set on the receiver to check an HMAC signature")
        raise ValueError("no matching signature")

    def _secrets(self, *, fetch: bool) -> list[str]:
        """The secret set on the receiver; or (`fetch`) those of the API key's webhooks to this URL,
        asked of the emulator's control plane, so that webhooks a test created itself verify too."""
        if not fetch:
            return [self.secret] if self.secret else []
        if not (self.emulator_url and self.api_key):
            return []
        query = urllib.parse.urlencode({"apiKey": self.api_key, "uri": self.url})
        url = f"{self.emulator_url.rstrip('/')}/_emulator/webhooks/signing-secrets?{query}"
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return [str(s) for s in json.load(answer)["secrets"]]
        except OSError:
            return []

    def _verify_jwt(self, token: str, received: Received) -> dict[str, Any]:
        if self.jwks_url is None:
            raise ValueError("no jwks_url set on the receiver to check a JWT")
        head_b64, claims_b64, sig_b64 = token.split(".")
        header, claims = _b64json(head_b64), _b64json(claims_b64)
        if header.get("alg") != "RS256":
            raise ValueError(f"unexpected JWT alg {header.get('alg')!r}")
        jwk = self._key(str(header.get("kid")))
        n, e = _b64int(jwk["n"]), _b64int(jwk["e"])
        size = (n.bit_length() + 7) // 8
        recovered = pow(int.from_bytes(_b64(sig_b64), "big"), e, n).to_bytes(size, "big")
        digest = signing._SHA256_INFO + hashlib.sha256(f"{head_b64}.{claims_b64}".encode()).digest()
        if not hmac.compare_digest(recovered, b"\x00\x01" + b"\xff" * (size - 3 - len(digest)) + b"\x00" + digest):
            raise ValueError("JWT signature does not verify")
        if claims.get("exp", 0) < time.time() - TOLERANCE_S:
            raise ValueError("JWT expired")
        if claims.get("sha256") not in (None, signing.body_hash(received.body)):
            raise ValueError("JWT sha256 claim does not match the body")
        return claims

    def _key(self, kid: str) -> dict[str, Any]:
        for refresh in (False, True):
            if self._jwks is None or refresh:
                assert self.jwks_url is not None
                with urllib.request.urlopen(self.jwks_url, timeout=10) as answer:
                    self._jwks = json.load(answer)
            for key in (self._jwks or {}).get("keys", []):
                if key.get("kid") == kid:
                    return dict(key)
        raise ValueError(f"no key {kid!r} in the JWKS")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64json(text: str) -> dict[str, Any]:
    value = json.loads(_b64(text))
    if not isinstance(value, dict):
        raise ValueError("not a JWT")
    return value


def _b64int(text: str) -> int:
    return int.from_bytes(_b64(text), "big")
