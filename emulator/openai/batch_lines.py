"""OpenAI batch files ↔ native batch lines. Pure: no I/O beyond the streams handed in.

In: each OpenAI line `{"custom_id", "method": "POST", "url", "body"}` is validated as OpenAI
validates a batch input file (every problem is reported with its line number, and any problem
fails the whole batch), then becomes the native line `{"key": custom_id, "request": <mapped body,
with its model>}`.

Out: native result lines come back one per request line, in input order, so they are zipped with
the native input lines (which carry each request's model and text) into OpenAI's output file
(successes: `{"id", "custom_id", "response": {"status_code": 200, "request_id", "body"}, "error":
null}`) and error file (failed requests with their HTTP status and an OpenAI error body; and, for an
expired batch, every request it never reached, with `error.code: batch_expired`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import orjson

from emulator.batches.lines import is_request_line
from emulator.batches.models import BatchKind
from emulator.errors import ApiError, InvalidArgument
from emulator.ids import stable_digest
from emulator.openai import chat, embeddings

_PARAM = re.compile(r"^(body\.[A-Za-z0-9_.]+)")
ENDPOINTS = {"/v1/chat/completions": BatchKind.GENERATE, "/v1/embeddings": BatchKind.EMBED}


@dataclass(frozen=True, slots=True)
class LineError:
    """One entry of a failed batch's `errors.data`."""

    code: str
    line: int
    message: str
    param: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "line": self.line, "message": self.message, "param": self.param}


@dataclass(frozen=True, slots=True)
class NativeLine:
    data: bytes
    model: str


def normalize_endpoint(url: Any) -> str | None:
    """`/v1/chat/completions`, also spelt `/chat/completions` or `/v1beta/openai/chat/completions`."""
    if not isinstance(url, str):
        return None
    path = url.strip().split("?", 1)[0].rstrip("/")
    for prefix in ("/v1beta/openai", "/v1alpha/openai", "/v1/openai", "/v1"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    return "/v1" + path if path.startswith("/") else None


def convert_line(raw: bytes, number: int, endpoint: str, seen: set[str]) -> NativeLine | LineError:
    """One OpenAI input line (1-based `number`) as a native line, or why it is invalid."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return LineError("invalid_json_line", number, "This line is not parseable as valid JSON.")
    if not isinstance(obj, dict):
        return LineError("invalid_json_line", number, "Each line must be a JSON object.")
    custom_id = obj.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return LineError("missing_required_parameter", number, "custom_id is required (a string).", "custom_id")
    if custom_id in seen:
        return LineError(
            "duplicate_custom_id",
            number,
            "The custom_id for this request is a duplicate of another request: custom_id must be unique "
            "within a batch.",
            "custom_id",
        )
    seen.add(custom_id)
    method = obj.get("method")
    if not isinstance(method, str) or method.upper() != "POST":
        return LineError("invalid_value", number, f"method must be POST, not {method!r}.", "method")
    url = normalize_endpoint(obj.get("url"))
    if url != endpoint:
        return LineError(
            "invalid_url",
            number,
            f"The url {obj.get('url')!r} does not match the batch's endpoint {endpoint}.",
            "url",
        )
    body = obj.get("body")
    if not isinstance(body, dict):
        return LineError("missing_required_parameter", number, "body is required (a JSON object).", "body")
    try:
        if ENDPOINTS[endpoint] is BatchKind.EMBED:
            request, model = _embedding_request(body)
        else:
            if body.get("stream"):
                return LineError("invalid_value", number, "Streaming is not available in a batch.", "body.stream")
            request, model = chat.to_native(body, "body.")
    except ApiError as error:
        code = "missing_required_parameter" if " is required" in error.message else "invalid_value"
        match = _PARAM.match(error.message)
        return LineError(code, number, error.message, match.group(1) if match else None)
    request["model"] = model  # the native line's own model overrides the batch's (and is not hashed)
    return NativeLine(orjson.dumps({"key": custom_id, "request": request}), model)


def _embedding_request(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    model = chat.model_name(body.get("model"), "body.model")
    texts = embeddings.inputs(body, "body.")
    if len(texts) != 1:
        raise InvalidArgument(
            "body.input: a batch embeddings request embeds one text (Gemini batch lines take one "
            "content each); put each text on its own line."
        )
    if embeddings.encoding(body, "body.") != "float":
        raise InvalidArgument("body.encoding_format: batch results are float vectors; leave it out or use float.")
    return embeddings.native_request(texts[0], embeddings.dimensions(body, "body.")), model


@dataclass(slots=True)
class Tally:
    """What converting a batch's results produced."""

    completed: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    expired: int = 0

    def usage(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + self.output_tokens,
        }


def _ids(batch_id: str, index: int) -> tuple[str, str]:
    digest = stable_digest("openai-batch-request", batch_id, str(index)).hex()
    return f"batch_req_{digest[:24]}", f"req_{digest[24:48]}"


def convert_results(
    inputs: Iterator[bytes],
    outputs: Iterator[bytes],
    *,
    kind: BatchKind,
    batch_id: str,
    created: int,
    expired: bool,
    out: IO[bytes],
    err: IO[bytes],
) -> Tally:
    """Write the OpenAI output and error files for a finished batch's native lines."""
    tally = Tally()
    index = -1
    for raw in inputs:
        if not is_request_line(raw):
            continue
        index += 1
        line = orjson.loads(raw)
        custom_id, request = line["key"], line["request"]
        model = str(request.get("model", ""))
        line_id, request_id = _ids(batch_id, index)
        result_raw = next(outputs, None)
        if result_raw is None:
            if not expired:
                break  # a cancelled batch: the requests it never reached have no result
            tally.expired += 1
            error = {"code": "batch_expired", "message": "This request could not be executed before the batch expired."}
            record: dict[str, Any] = {"id": line_id, "custom_id": custom_id, "response": None, "error": error}
            err.write(orjson.dumps(record) + b"\n")
            tally.failed += 1
            continue
        result = orjson.loads(result_raw)
        if "response" in result:
            body = _body(kind, result["response"], request, model, created, tally)
            response = {"status_code": 200, "request_id": request_id, "body": body}
            out.write(orjson.dumps({"id": line_id, "custom_id": custom_id, "response": response, "error": None}))
            out.write(b"\n")
            tally.completed += 1
        else:
            failure = result.get("error") or {}
            status = int(failure.get("code") or 500)
            body = {
                "error": {
                    "message": str(failure.get("message", "")),
                    "type": "invalid_request_error" if status < 500 else "server_error",
                    "param": None,
                    "code": failure.get("status"),
                }
            }
            response = {"status_code": status, "request_id": request_id, "body": body}
            err.write(orjson.dumps({"id": line_id, "custom_id": custom_id, "response": response, "error": None}))
            err.write(b"\n")
            tally.failed += 1
    return tally


def _body(
    kind: BatchKind, response: Mapping[str, Any], request: Mapping[str, Any], model: str, created: int, tally: Tally
) -> dict[str, Any]:
    if kind is BatchKind.EMBED:
        texts = ["\n".join(str(p.get("text", "")) for p in request.get("content", {}).get("parts", []))]
        body = embeddings.response([response], texts, model)
        tally.input_tokens += body["usage"]["prompt_tokens"]
        return body
    body = chat.completion(response, model, created)
    usage = body["usage"]
    tally.input_tokens += usage["prompt_tokens"]
    tally.output_tokens += usage["completion_tokens"]
    tally.reasoning_tokens += usage.get("completion_tokens_details", {}).get("reasoning_tokens", 0)
    return body
