"""Query parameters, operation by operation: each parameter given twice, empty, `null`, or of the wrong
type, and a parameter the operation does not have, is a 400 INVALID_ARGUMENT in Google's shape with
the message docs/api.md lists; Google's system parameters are accepted everywhere on the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import httpx
import pytest

from emulator import Settings
from emulator.app import create_app
from emulator.asgi.middleware import OperationMiddleware
from emulator.asgi.routing import ApiRoute, all_routes
from tests.servers import ThreadServer, thread_server

KEY = {"x-goog-api-key": "k"}
HI = {"contents": [{"parts": [{"text": "hi"}]}]}
MODEL = "/v1beta/models/gemini-2.5-flash"


class Op(NamedTuple):
    name: str
    method: str
    path: str
    params: dict[str, str]  # name -> kind: int32, int64, double, bool, enum:<a valid value>, string, text (non-empty)


OPERATIONS = [
    Op("files.list", "GET", "/v1beta/files", {"pageSize": "int32", "pageToken": "string"}),
    Op("files.get", "GET", "/v1beta/files/nope", {}),
    Op("files.delete", "DELETE", "/v1beta/files/nope", {}),
    Op("files.download", "GET", "/v1beta/files/nope:download", {}),
    Op("files.upload", "POST", "/upload/v1beta/files", {"upload_id": "text", "uploadType": "enum:media"}),
    Op(
        "batches.list",
        "GET",
        "/v1beta/batches",
        {"pageSize": "int32", "pageToken": "string", "filter": "string", "returnPartialSuccess": "bool"},
    ),
    Op("batches.get", "GET", "/v1beta/batches/nope", {}),
    Op("batches.delete", "DELETE", "/v1beta/batches/nope", {}),
    Op("batches.cancel", "POST", "/v1beta/batches/nope:cancel", {}),
    Op("batches.create", "POST", f"{MODEL}:batchGenerateContent", {}),
    Op("batches.createEmbeddings", "POST", "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", {}),
    Op("models.generateContent", "POST", f"{MODEL}:generateContent", {}),
    Op("models.streamGenerateContent", "POST", f"{MODEL}:streamGenerateContent", {"alt": "enum:sse"}),
    Op("models.countTokens", "POST", f"{MODEL}:countTokens", {}),
    Op("models.embedContent", "POST", "/v1beta/models/gemini-embedding-001:embedContent", {}),
    Op("models.batchEmbedContents", "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", {}),
    Op("models.list", "GET", "/v1beta/models", {"pageSize": "int32", "pageToken": "string"}),
    Op("models.get", "GET", f"{MODEL}", {}),
    Op("webhooks.create", "POST", "/v1beta/webhooks", {"webhookId": "string"}),
    Op("webhooks.list", "GET", "/v1beta/webhooks", {"pageSize": "int32", "pageToken": "string"}),
    Op("webhooks.get", "GET", "/v1beta/webhooks/nope", {}),
    Op("webhooks.update", "PATCH", "/v1beta/webhooks/nope", {"updateMask": "string"}),
    Op("webhooks.ping", "POST", "/v1beta/webhooks/nope:ping", {}),
    # The control plane: the emulator's own parameters (and no system parameters).
    Op("control.waitIdle", "GET", "/_emulator/wait-idle", {"timeout": "double"}),
    Op("control.waitIdle (POST)", "POST", "/_emulator/wait-idle", {"timeout": "double"}),
    Op(
        "control.requests",
        "GET",
        "/_emulator/requests",
        {"operation": "text", "key": "text", "status": "int32", "since": "int64"},
    ),
    Op("control.clearRequests", "DELETE", "/_emulator/requests", {"key": "text"}),
    Op("control.reset", "POST", "/_emulator/reset", {"key": "text"}),
    Op("control.clock", "GET", "/_emulator/clock", {"key": "text"}),
    Op("control.clockAdvance", "POST", "/_emulator/clock:advance", {"key": "text"}),
    Op("control.clockSet", "POST", "/_emulator/clock:set", {"key": "text"}),
    Op("control.clearFaults", "DELETE", "/_emulator/faults", {"key": "text"}),
    Op("control.state", "GET", "/_emulator/state", {"key": "text"}),
    Op("control.quotas", "GET", "/_emulator/quotas", {"key": "text"}),
    Op("control.resetQuotas", "DELETE", "/_emulator/quotas", {"key": "text"}),
    Op("control.health", "GET", "/_emulator/health", {}),
    Op("control.config", "GET", "/_emulator/config", {}),
    Op("control.webhookDeliveries", "GET", "/_emulator/webhooks/deliveries", {"limit": "int32", "apiKey": "string"}),
    Op("control.webhookSecrets", "GET", "/_emulator/webhooks/signing-secrets", {"apiKey": "string", "uri": "string"}),
    Op("discovery", "GET", "/$discovery/rest", {"version": "string"}),
]

_TYPE = {"int32": "TYPE_INT32", "int64": "TYPE_INT64", "double": "TYPE_DOUBLE", "bool": "TYPE_BOOL"}
_VALID = {"int32": "1", "int64": "1", "double": "0.5", "bool": "true", "string": "x", "text": "x"}
_WRONG = {"int32": "1.5", "int64": "abc", "double": "nan", "bool": "yes"}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


class Case(NamedTuple):
    op: Op
    query: str
    message: str


def _cases() -> Iterator[pytest.ParameterSet]:
    for op in OPERATIONS:
        for name, kind in op.params.items():
            valid = kind.partition(":")[2] if kind.startswith("enum:") else _VALID[kind]
            twice = f"Invalid JSON payload received. Parameter '{name}' is given 2 times."
            yield pytest.param(Case(op, f"{name}={valid}&{name}={valid}", twice), id=f"{op.name}-{name}-twice")
            if kind in _TYPE:
                for label, value in (("empty", ""), ("null", "null"), ("wrong", _WRONG[kind])):
                    message = f"Invalid value at '{_snake(name)}' ({_TYPE[kind]}), \"{value}\""
                    yield pytest.param(Case(op, f"{name}={value}", message), id=f"{op.name}-{name}-{label}")
            elif kind.startswith("enum:"):
                for label, value in (("empty", ""), ("null", "null"), ("wrong", "xml")):
                    message = f"Invalid value \"{value}\" for query parameter '{name}'"
                    yield pytest.param(Case(op, f"{name}={value}", message), id=f"{op.name}-{name}-{label}")
            elif kind == "text":
                message = f"Query parameter '{name}' must not be empty."
                yield pytest.param(Case(op, f"{name}=", message), id=f"{op.name}-{name}-empty")
        unknown = (
            'Invalid JSON payload received. Unknown name "bogus": Cannot bind query parameter. '
            "Field 'bogus' could not be found in request message."
        )
        yield pytest.param(Case(op, "bogus=1", unknown), id=f"{op.name}-unknown")


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as running:
        yield running


@pytest.mark.parametrize("case", list(_cases()))
def test_a_bad_query_parameter_is_a_400_in_googles_shape(server: ThreadServer, case: Case) -> None:
    body = HI if case.op.method == "POST" and "/models/" in case.op.path else None
    r = httpx.request(case.op.method, f"{server.url}{case.op.path}?{case.query}", json=body, headers=KEY)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert (error["code"], error["status"], error["message"]) == (400, "INVALID_ARGUMENT", case.message)


def test_each_unknown_parameter_is_named_on_its_own_line_and_as_a_field_violation(server: ThreadServer) -> None:
    r = httpx.get(f"{server.url}/v1beta/batches?provider=a&path=b&pageSize=2", headers=KEY)
    error = r.json()["error"]
    assert error["message"].splitlines() == [
        f'Invalid JSON payload received. Unknown name "{n}": Cannot bind query parameter. '
        f"Field '{n}' could not be found in request message."
        for n in ("provider", "path")
    ]
    (detail,) = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert [v["description"] for v in detail["fieldViolations"]] == error["message"].splitlines()


@pytest.mark.parametrize(
    "query",
    [
        "key=k&alt=json&prettyPrint=false&fields=operations&%24.xgafv=2&quotaUser=q&callback=",
        "%24alt=json&%24prettyPrint=true&%24fields=&access_token=t&oauth_token=t&userProject=p&%24ct=x",
        "page_size=2&page_token=",  # snake_case spellings; an empty string is a string's default
        "pageToken=&filter=&returnPartialSuccess=false",
    ],
)
def test_system_parameters_and_both_spellings_are_accepted(server: ThreadServer, query: str) -> None:
    r = httpx.get(f"{server.url}/v1beta/batches?{query}", headers=KEY)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("prettyPrint=null", "Invalid value at 'pretty_print' (TYPE_BOOL), \"null\""),
        ("%24.xgafv=3", "Invalid value \"3\" for query parameter '$.xgafv'"),
        ("key=a&key=b", "Invalid JSON payload received. Parameter 'key' is given 2 times."),
        ("pageSize=1&page_size=2", "Invalid JSON payload received. Parameter 'pageSize' is given 2 times."),
        ("pageSize=2147483648", "Invalid value at 'page_size' (TYPE_INT32), \"2147483648\""),
    ],
)
def test_system_parameters_are_checked_too(server: ThreadServer, query: str, message: str) -> None:
    r = httpx.get(f"{server.url}/v1beta/files?{query}", headers=KEY)
    assert (r.status_code, r.json()["error"]["message"]) == (400, message)


def test_the_control_plane_takes_only_its_own_parameters_and_the_token(server: ThreadServer) -> None:
    assert httpx.get(f"{server.url}/_emulator/quotas?model=a&model=b,c&key=k").status_code == 200  # model repeats
    assert httpx.get(f"{server.url}/_emulator/clock?token=t").status_code == 200
    r = httpx.get(f"{server.url}/_emulator/clock?alt=json")  # no system parameters here
    assert r.status_code == 400 and 'Unknown name "alt"' in r.json()["error"]["message"]


def test_the_openai_surface_answers_in_its_own_shape(server: ThreadServer) -> None:
    r = httpx.get(f"{server.url}/v1beta/openai/batches?limit=1&limit=2", headers={"authorization": "Bearer k"})
    assert r.status_code == 400
    [answer] = r.json()
    assert answer["error"]["message"] == "Invalid JSON payload received. Parameter 'limit' is given 2 times."


def test_the_upload_session_url_keeps_working(server: ThreadServer) -> None:
    start = httpx.post(
        f"{server.url}/upload/v1beta/files",
        headers={**KEY, "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
        json={"file": {"mimeType": "text/plain"}},
    )
    url = start.headers["x-goog-upload-url"]
    assert "upload_protocol=resumable" in url
    done = httpx.post(
        url, content=b"hi", headers={"x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"}
    )
    assert done.status_code == 200, done.text


def test_every_api_route_declares_its_query_parameters() -> None:
    """The check is declared by each route; none of the API's is left out."""
    undeclared = set()
    for served in all_routes(create_app(Settings(data_dir=None)).routes):
        route = served.route
        if isinstance(route, ApiRoute) and isinstance(route.app, OperationMiddleware) and route.app.query is None:
            undeclared.add(route.name)
    assert undeclared == set()
