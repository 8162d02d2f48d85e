"""One batch line in, one result line out: the JSONL codec of Batch Mode.

Input lines are `{"key": ..., "request": {...}}` or a bare request (the REST guide's form); inline
requests are stored as `{"request": {...}, "metadata": {...}}`. Every input line gets exactly one
result line, in input order: a line that cannot be parsed is answered with an error line, never
dropped. Pure: no I/O, no clock.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from emulator import googlejson
from emulator.batches.line_faults import blocked_response, default_message, prompt_text, with_finish_reason
from emulator.batches.models import BatchKind
from emulator.casing import camelize
from emulator.errors import ApiError, Internal, InvalidArgument, error_for
from emulator.faults.rules import LineFault
from emulator.ids import derive_rng
from emulator.responder import FileLookup, RequestInfo, Responder
from emulator.responder.embeddings import with_token_count

if TYPE_CHECKING:
    from emulator.validation.validator import Validator

_KEY = re.compile(rb'"key"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
_MISSING = object()
log = logging.getLogger("emulator.batches")


@dataclass(frozen=True, slots=True)
class LineContext:
    """What answering a line depends on besides the line itself."""

    kind: BatchKind
    model: str
    inline: bool
    batch_id: str
    seed: int
    responder: Responder
    faults: tuple[LineFault, ...] = ()
    files: FileLookup | None = None
    max_line_bytes: int = 20 * 1024 * 1024
    validator: Validator | None = None  # Google's schema and checks, before a line is answered


def is_request_line(raw: bytes) -> bool:
    """Blank lines are not requests: they are skipped, not answered."""
    return bool(raw.strip())


def model_name(model: str) -> str:
    """`gemini-2.5-flash` → `models/gemini-2.5-flash`; `tunedModels/...` and `models/...` stay."""
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


def too_long_line(head: bytes, index: int, ctx: LineContext) -> tuple[bytes, bool]:
    """The error result for a line longer than `max_line_bytes` (`head` is its beginning)."""
    found = _KEY.search(head) if not ctx.inline else None
    key = orjson.loads(found.group(1)) if found is not None else _MISSING
    error = InvalidArgument(f"Request #{index + 1} is larger than the limit of {ctx.max_line_bytes} bytes.")
    return _error_line(ctx, key, _MISSING, error), False


def answer_line(raw: bytes, index: int, ctx: LineContext) -> tuple[bytes, bool]:
    """The result line (no newline) for input line `raw`, the `index`-th request of its batch, and
    whether it succeeded."""
    key: Any = _MISSING
    metadata: Any = _MISSING
    try:
        try:
            obj = googlejson.loads(raw)  # the front end's syntax (single quotes...): docs/wire.md
        except googlejson.JsonSyntaxError as exc:
            if (found := _KEY.search(raw)) is not None:
                key = orjson.loads(found.group(1))
            raise InvalidArgument(f"Request #{index + 1} is not valid JSON: {exc.reason}") from None
        if not isinstance(obj, dict):
            raise InvalidArgument(f"Request #{index + 1} must be a JSON object, not {type(obj).__name__}.")
        if ctx.inline:
            metadata = obj.get("metadata", _MISSING)
            request = obj.get("request")
        elif "request" in obj:
            key = obj.get("key", _MISSING)
            request = obj["request"]
        else:
            request = obj
        if not isinstance(request, dict):
            raise InvalidArgument(f"Request #{index + 1}: 'request' must be a JSON object.")
        if ctx.validator is not None:  # a refused request is an error line with the synchronous call's message
            own = request.get("model")
            ctx.validator.line(
                request, own if isinstance(own, str) and own else ctx.model, embed=ctx.kind is BatchKind.EMBED
            )
        if ctx.inline and isinstance(metadata, dict):
            key_for_rules = metadata.get("key")
        else:
            key_for_rules = key
        try:
            # Without an underscore anywhere in the line, no field name is snake_case: skip the walk.
            response = _respond(camelize(request) if b"_" in raw else request, index, key_for_rules, ctx)
            rendered = _render(ctx, key, metadata, "response", response)
        except (RecursionError, TypeError) as exc:  # nesting deeper than Python or orjson will walk
            if not isinstance(exc, RecursionError) and "Recursion limit" not in str(exc):
                raise
            raise InvalidArgument(f"Request #{index + 1} is nested too deeply.") from None
    except ApiError as error:
        return _error_line(ctx, key, metadata, error), False
    except Exception:  # a bug in a responder must cost one line, never the batch
        log.exception("answering request #%d of batches/%s failed", index + 1, ctx.batch_id)
        internal = Internal(f"Internal error encountered while answering request #{index + 1}.")
        return _error_line(ctx, key, metadata, internal), False
    return rendered, True


def _respond(request: dict[str, Any], index: int, key: Any, ctx: LineContext) -> dict[str, Any]:
    model = request.pop("model", None)
    model = model_name(model) if isinstance(model, str) and model else ctx.model
    info = RequestInfo(model=model, key=key if isinstance(key, str) else None, files=ctx.files)
    rule = _fault_for(request, index, info.key, ctx) if ctx.faults else None
    if rule is not None and rule.finish_reason is None and rule.blocked is None:
        raise error_for(rule.code, rule.message or default_message(rule.code))
    if ctx.kind is BatchKind.EMBED:
        return with_token_count(ctx.responder.embed(request, info), request)
    if rule is not None and rule.blocked is not None:
        return blocked_response(request, model, rule.blocked)
    response = ctx.responder.generate(request, info)
    return with_finish_reason(response, rule.finish_reason) if rule is not None and rule.finish_reason else response


def _fault_for(request: dict[str, Any], index: int, key: str | None, ctx: LineContext) -> LineFault | None:
    """The first line rule that applies to this request and fires (rates are seeded per line)."""
    text = prompt_text(request) if any(rule.prompt for rule in ctx.faults) else ""
    for rule in ctx.faults:
        if not rule.matches(key, text):
            continue
        if rule.rate is None or derive_rng(ctx.seed, "line", rule.id, ctx.batch_id, str(index)).random() < rule.rate:
            return rule
    return None


def _render(ctx: LineContext, key: Any, metadata: Any, field: str, value: Any) -> bytes:
    """`{"response": ..., "key": ...}`: the key after the result, as in the real service's files."""
    line: dict[str, Any] = {field: value}
    if key is not _MISSING:
        line["key"] = key
    if metadata is not _MISSING and metadata is not None:
        line["metadata"] = metadata
    return orjson.dumps(line)


def _error_line(ctx: LineContext, key: Any, metadata: Any, error: ApiError) -> bytes:
    """An error result: the `google.rpc.Status` of an inline result; a file's lines carry the HTTP code."""
    return _render(ctx, key, metadata, "error", error.status(http_code=not ctx.inline))


def inline_request_line(item: Any, index: int) -> bytes:
    """Store one inline request (`{"request", "metadata"}`) as an input line for the runner."""
    if not isinstance(item, dict):
        raise InvalidArgument(
            f"Invalid JSON payload received. inputConfig.requests.requests[{index}] must be an object."
        )
    return orjson.dumps(item)
