"""Access control (off by default): API keys for the API, a token for the control plane.

With `api_keys` set, every API request must carry one of them (`x-goog-api-key`, `?key=` or
`Authorization: Bearer`), answered as the real service answers: no key → 403 PERMISSION_DENIED, an
unknown key → 400 INVALID_ARGUMENT with reason API_KEY_INVALID. Upload chunks are exempt: the Python
SDK sends them without a key, and their unguessable session URL is the credential. With
`control_token` set, `/_emulator/*` (but `health`) requires `Authorization: Bearer <token>`,
`X-Emulator-Token`, `?token=`, or the dashboard's `emulator_token` cookie.
"""

from __future__ import annotations

import hmac

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.asgi.requests import api_key_of, emulator_of, error_response
from emulator.config import Settings
from emulator.errors import ApiError, Code, InvalidArgument, PermissionDenied

MISSING_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
INVALID_KEY = "API key not valid. Please pass a valid API key."
_EXEMPT = ("/_emulator/health",)
TOKEN_COOKIE = "emulator_token"


def check(connection: HTTPConnection, settings: Settings) -> None:
    """Raise the error the real service would give this request, if any."""
    path = connection.scope["path"]
    if path.startswith("/_emulator"):
        if settings.control_token is None or path in _EXEMPT:
            return
        auth = connection.headers.get("authorization", "")
        given = (
            connection.headers.get("x-emulator-token")
            or (auth[7:].strip() if auth.lower().startswith("bearer ") else None)
            or connection.query_params.get("token")
            or _dashboard_cookie(connection)
        )
        if not given or not hmac.compare_digest(given, settings.control_token):
            raise ApiError(
                "The control plane needs its token (Authorization: Bearer <control token>).", code=Code.UNAUTHENTICATED
            )
        return
    # The JWKS is public, as Google's is: webhook receivers fetch it without a key.
    if not settings.api_keys or path in ("/", "/.well-known/jwks.json") or "upload_id" in connection.query_params:
        return
    key = api_key_of(connection)
    if key is None:
        raise PermissionDenied(MISSING_KEY)
    if not any(hmac.compare_digest(key, allowed) for allowed in settings.api_keys):
        raise InvalidArgument(
            INVALID_KEY,
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ],
        )


def _dashboard_cookie(connection: HTTPConnection) -> str | None:
    """The dashboard keeps the token in a cookie (HttpOnly, SameSite=strict). SameSite does not tell
    one localhost port from another, so a cookie alone only opens reads; anything else also needs the
    `X-Emulator-UI` header the dashboard's own script sends (a form on another page cannot)."""
    token = connection.cookies.get(TOKEN_COOKIE)
    if token is None:
        return None
    if connection.scope.get("method", "GET") in ("GET", "HEAD") or "x-emulator-ui" in connection.headers:
        return token
    return None


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            connection = HTTPConnection(scope)
            settings = emulator_of(connection).settings
            if settings.api_keys or settings.control_token:
                try:
                    check(connection, settings)
                except ApiError as error:
                    await error_response(error)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
