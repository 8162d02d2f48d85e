"""`Validator`: what the model endpoints and batch lines call before anything answers a request.

One value per emulator (it travels to the batch workers with a line's context, and pickles as its
settings and catalogue; the schema is compiled once per process on first use). Modes:
- `strict` (the default, like the real API): schema violations and failed checks are refused.
- `lenient`: unknown field names are let through and reported as warnings (the caller logs them
  and notes them in the request journal); every other problem is still refused.
- `off`: no body validation at all (the emulator before issue 16). Unknown models are governed by
  `allow_unknown_models` alone, in every mode.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import InvalidArgument, NotFound
from emulator.generation.catalogue import DEFAULT_CATALOGUE, Catalogue, model_name
from emulator.validation import checks, fast, schema, walk

MODES = ("strict", "lenient", "off")
_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
log = logging.getLogger("emulator.validation")


@dataclass(frozen=True, slots=True)
class Validator:
    mode: str = "strict"
    allow_unknown_models: bool = False
    catalogue: Catalogue = field(default=DEFAULT_CATALOGUE, compare=False)
    # per (model, embed): what `line` needs, looked up once (a memo of lookups: never pickled)
    _lines: dict[tuple[str, bool], tuple[Any, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Validator, (self.mode, self.allow_unknown_models, self.catalogue))

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def model(self, model: str, method: str, *, version: str = "v1beta") -> dict[str, Any] | None:
        """The catalogue entry of `model` for `method` (None: unknown but allowed), or the 404."""
        return self.catalogue.require(model, method, version=version, allow_unknown=self.allow_unknown_models)

    def schema(self, message: str, body: Any, *, path: str = "") -> list[str]:
        """Check `body` as the v1beta `message` (a short name); raise the 400 Google's JSON front end
        gives, listing every violation. Returns the warnings lenient mode let through. `path`
        prefixes every field path (an inline batch request's place in the create call)."""
        if self.mode == "off":
            return []
        return self._verdict(self._violations(message, body, path))

    def request(
        self, body: Mapping[str, Any], model: str, *, embed: bool, method: str, version: str = "v1beta", path: str = ""
    ) -> list[str]:
        """A `GenerateContentRequest` (or, `embed`, an `EmbedContentRequest`) for `model` called with
        `method`: the schema (Google's JSON front end comes first), the model, the semantic checks."""
        warnings = self.schema("EmbedContentRequest" if embed else "GenerateContentRequest", body, path=path)
        info = self.model(model, method, version=version)
        if self.enabled:
            if embed:
                checks.embed(body, info, self._limits(info))
            else:
                checks.generate(body, model_name(model), info, self._limits(info))
        return warnings

    def count_tokens(self, body: Mapping[str, Any], model: str, *, version: str = "v1beta") -> list[str]:
        warnings = self.schema("CountTokensRequest", body)
        self.model(model, "countTokens", version=version)
        if self.enabled:
            inner = checks.pick(body, "generateContentRequest", "generate_content_request")
            if isinstance(inner, Mapping):
                checks.contents(inner.get("contents"), "CountTokensRequest.generate_content_request")
            else:
                checks.contents(body.get("contents"), "CountTokensRequest")
        return warnings

    # -- batches ---------------------------------------------------------------------------------
    def batch_model(self, model: str, *, embed: bool, version: str = "v1beta") -> None:
        """`batches.create`'s model: unknown is the 404; a known model without the batch method (an
        embedding model for `batchGenerateContent`) is a 400."""
        method = "asyncBatchEmbedContent" if embed else "batchGenerateContent"
        if self.catalogue.find(model) is None:
            self.model(model, method, version=version)  # the 404, unless unknown models are allowed
            return
        try:
            self.model(model, method, version=version)
        except NotFound as error:
            raise InvalidArgument(error.message) from None

    def inline_requests(self, items: list[Any], *, embed: bool) -> list[str]:
        """The schema of every inline request of a create call, as Google's front end parses the whole
        body: one 400 listing every violation, paths from `batch.input_config.requests.requests[i]`."""
        if self.mode == "off":
            return []
        message = "EmbedContentRequest" if embed else "GenerateContentRequest"
        found: list[Any] = []
        for index, item in enumerate(items):
            request = item.get("request") if isinstance(item, Mapping) else None
            if request is not None:
                found.extend(
                    self._violations(message, request, f"batch.input_config.requests.requests[{index}].request")
                )
        warnings = self._verdict(found)
        for warning in warnings:
            log.warning("lenient validation let through: %s", warning)
        return warnings

    def line(self, request: Mapping[str, Any], model: str, *, embed: bool) -> None:
        """One batch line's request (a JSONL line, or an inline request at answer time): schema, the
        line's model (a line may name its own), the semantic checks; the same as `request`
        with the batch method, on the short path (this runs for every line). Lenient warnings are
        dropped (a batch may hold a million lines); the create call logs those of inline requests."""
        found = self._lines.get((model, embed))
        if found is None:
            method = "asyncBatchEmbedContent" if embed else "batchGenerateContent"
            info = self.catalogue.require(model, method, allow_unknown=self.allow_unknown_models)  # or the 404
            limits = self.catalogue.limits.get(info["name"], {}) if info is not None else {}
            message = None
            if self.mode != "off":  # off never reads the schema
                message = schema.message("EmbedContentRequest" if embed else "GenerateContentRequest")
            found = self._lines[model, embed] = (message, info, limits, model_name(model))
        message, info, limits, name = found
        if self.mode == "off" or (not embed and fast.accepts(request)):  # most lines: text and sampling
            return
        try:
            violations = walk.check(request, message)
        except RecursionError:
            raise InvalidArgument("Invalid JSON payload received. The request is nested too deeply.") from None
        if violations:
            self._verdict(violations)
        if embed:
            checks.embed(request, info, limits)
        else:
            checks.generate(request, name, info, limits)

    def _violations(self, message: str, body: Any, path: str) -> list[Any]:
        try:  # the schema is read (and protobuf imported) on the first call
            return walk.check(body, schema.message(message), path)
        except RecursionError:
            raise InvalidArgument("Invalid JSON payload received. The request is nested too deeply.") from None

    def _verdict(self, violations: list[Any]) -> list[str]:
        """Raise for `violations` (lenient: all but unknown names); return lenient's warnings."""
        if not violations:
            return []
        if self.mode == "lenient":
            warnings = [v.description for v in violations if v.unknown]
            violations = [v for v in violations if not v.unknown]
            if not violations:
                return warnings
        raise invalid(violations)

    def _limits(self, info: Mapping[str, Any] | None) -> Mapping[str, Any]:
        return self.catalogue.limits.get(info["name"], {}) if info is not None else {}


def invalid(violations: list[Any]) -> InvalidArgument:
    """Google's 400 for schema violations: the descriptions joined by newlines, and a
    `google.rpc.BadRequest` detail with one `fieldViolations` entry each."""
    field_violations = []
    for violation in violations:
        entry = {"field": violation.field, "description": violation.description}
        if not violation.field:
            del entry["field"]
        field_violations.append(entry)
    return InvalidArgument(
        "\n".join(v.description for v in violations),
        details=[{"@type": _BAD_REQUEST, "fieldViolations": field_violations}],
    )
