"""The checks the real service makes beyond the schema: empty contents or parts, roles, the model's
limits (output tokens, candidates, embedding dimensions), conflicting or unsupported output
settings, thinking on a model that does not think. Each raises `InvalidArgument` with the real
service's words where they are known (docs/api.md lists them with their sources). Pure.

Requests are read as sent (either casing): `pick` finds a field under its lowerCamel or snake_case
name, as the schema accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.errors import InvalidArgument

ROLES = ("user", "model")
RESPONSE_MIME_TYPES = ("text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum")
_DATA = frozenset(
    {
        "text",
        "inlineData",
        "inline_data",
        "fileData",
        "file_data",
        "functionCall",
        "function_call",
        "functionResponse",
        "function_response",
        "executableCode",
        "executable_code",
        "codeExecutionResult",
        "code_execution_result",
    }
)


def pick(body: Mapping[str, Any], camel: str, snake: str) -> Any:
    value = body.get(camel)
    return body.get(snake) if value is None else value


def generate(request: Mapping[str, Any], model: str, info: Mapping[str, Any] | None, limits: Mapping[str, Any]) -> None:
    """A `GenerateContentRequest` (already schema-valid) for `model` (`info`: its catalogue entry,
    None when unknown models are allowed; `limits`: its emulator-only limits)."""
    contents(request.get("contents"), "GenerateContentRequest")
    config = request.get("generationConfig")
    if config is None:
        config = request.get("generation_config")
    if type(config) is dict and not config.keys() <= _UNCHECKED_CONFIG:
        generation_config(config, model, info, limits)


def contents(value: Any, message: str) -> None:
    """Bodies here are schema-valid: contents a list, each content and part an object (or null)."""
    if not value:
        raise InvalidArgument(f"* {message}.contents: contents is not specified")
    for index, content in enumerate(value):
        parts = content.get("parts") if type(content) is dict else None
        if not parts:
            raise InvalidArgument(f"* {message}.contents[{index}].parts: contents.parts must not be empty.")
        role = content.get("role")
        if role and role not in ROLES:
            raise InvalidArgument("Please use a valid role: user, model.")
        for at, part in enumerate(parts):
            if type(part) is dict and part.get("text"):
                continue  # the common case, quickly
            # an empty text counts as no data: the real service refuses `{"text": ""}` alike (a part
            # carrying a thought signature, as streamed model turns end with, is let through)
            if type(part) is not dict or not (
                any(part[name] not in (None, "") for name in part.keys() & _DATA)
                or part.get("thoughtSignature")
                or part.get("thought_signature")
            ):
                raise InvalidArgument(
                    f"* {message}.contents[{index}].parts[{at}].data: "
                    "required oneof field 'data' must have one initialized field"
                )


# generationConfig fields no check looks at: a config of only these (most are) skips the checks.
_UNCHECKED_CONFIG = frozenset(
    {
        "temperature",
        "topP",
        "top_p",
        "topK",
        "top_k",
        "seed",
        "stopSequences",
        "stop_sequences",
        "presencePenalty",
        "presence_penalty",
        "frequencyPenalty",
        "frequency_penalty",
        "responseLogprobs",
        "response_logprobs",
        "logprobs",
        "responseModalities",
        "response_modalities",
        "mediaResolution",
        "media_resolution",
    }
)


def generation_config(
    config: Mapping[str, Any], model: str, info: Mapping[str, Any] | None, limits: Mapping[str, Any]
) -> None:
    if pick(config, "responseSchema", "response_schema") is not None and (
        pick(config, "responseJsonSchema", "response_json_schema") is not None
    ):
        raise InvalidArgument(
            "* GenerateContentRequest.generation_config.response_json_schema: "
            "response_schema must be omitted when response_json_schema is set."
        )
    mime = pick(config, "responseMimeType", "response_mime_type")
    if mime and mime not in RESPONSE_MIME_TYPES:
        raise InvalidArgument(
            "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are "
            "text/plain, application/json, application/xml, application/yaml and text/x.enum"
        )
    if info is None:
        return  # an unknown model (allowed): no limits to check against
    _range("maxOutputTokens", pick(config, "maxOutputTokens", "max_output_tokens"), info.get("outputTokenLimit"))
    candidates = pick(config, "candidateCount", "candidate_count")
    most = limits.get("maxCandidates")
    if candidates is not None and isinstance(most, int):
        if most == 1 and int(candidates) > 1:
            raise InvalidArgument("Multiple candidates is not enabled for this model")
        _range("candidateCount", candidates, most)
    thinking = pick(config, "thinkingConfig", "thinking_config")
    if isinstance(thinking, Mapping):
        _thinking(thinking, model, info, limits)


def _thinking(thinking: Mapping[str, Any], model: str, info: Mapping[str, Any], limits: Mapping[str, Any]) -> None:
    if info.get("thinking") is False:
        if thinking.get("includeThoughts") or thinking.get("include_thoughts"):
            raise InvalidArgument(f"Thinking is not enabled for {model}")
        if any(v is not None for v in thinking.values()):
            raise InvalidArgument("thinking_config is not supported.")
    level = pick(thinking, "thinkingLevel", "thinking_level")
    if level is not None and not limits.get("thinkingLevels"):
        raise InvalidArgument("Thinking level is not supported for this model.")
    budget = pick(thinking, "thinkingBudget", "thinking_budget")
    if budget is not None and int(budget) == 0 and limits.get("thinkingRequired"):
        raise InvalidArgument("Budget 0 is invalid. This model only works in thinking mode.")


def embed(request: Mapping[str, Any], info: Mapping[str, Any] | None, limits: Mapping[str, Any]) -> None:
    """An `EmbedContentRequest` (already schema-valid)."""
    content = request.get("content")
    if not isinstance(content, Mapping):
        raise InvalidArgument("* EmbedContentRequest.content: content is not specified")
    parts = content.get("parts")
    if not parts:
        raise InvalidArgument("* EmbedContentRequest.content.parts: contents.parts must not be empty.")
    for part in parts:
        if not isinstance(part, Mapping) or not any(part[name] for name in part.keys() & _DATA):
            raise InvalidArgument("EmbedContentRequest.content contains an empty Part.")
    if info is not None:
        dims = pick(request, "outputDimensionality", "output_dimensionality")
        _range("outputDimensionality", dims, limits.get("maxOutputDimensionality"))


def _range(name: str, value: Any, most: Any) -> None:
    """`value` (a schema-valid integer, or None) within [1, most] (no check without `most`)."""
    if value is None or not isinstance(most, int):
        return
    number = int(value)
    if not 1 <= number <= most:
        raise InvalidArgument(
            f"Unable to submit request because it has a {name} value of {number} but the supported range is "
            f"from 1 (inclusive) to {most + 1} (exclusive). Update the value and try again."
        )
