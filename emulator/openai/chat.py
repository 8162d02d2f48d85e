"""Chat completions ↔ `generateContent`: the documented mapping of the OpenAI-compatible layer. Pure.

A chat body becomes the `GenerateContentRequest` a google-genai user would send for the same prompt,
so the fake model gives the same answer natively and through the compatibility layer (docs/openai.md
has the table):

- `system`/`developer` messages → `systemInstruction` (`role: user`, as google-genai sends it), their
  texts as parts in order; `user` → `role: user`; `assistant` → `role: model` (text, then one
  `functionCall` part per tool call); consecutive `tool` messages → one `role: user` turn of
  `functionResponse` parts, named after the assistant's tool call they answer.
- Content parts: `text`; `image_url` (a `data:` URL → `inlineData`, any other URL → `fileData`);
  `input_audio` → `inlineData`; `file` (`file_data` → `inlineData`, `file_id` → `fileData` of that file).
- `max_completion_tokens`/`max_tokens` → `maxOutputTokens`, `temperature`, `top_p` → `topP`, `n` →
  `candidateCount`, `stop` → `stopSequences`, `seed`, `presence_penalty`, `frequency_penalty`,
  `logprobs` → `responseLogprobs`, `top_logprobs` → `logprobs`; `response_format` `json_object` →
  `responseMimeType: application/json`, `json_schema` → that plus `responseJsonSchema`;
  `reasoning_effort` → `thinkingConfig.thinkingBudget`; `extra_body.google.thinking_config` →
  `thinkingConfig`; `tools` → one `functionDeclarations` tool (`parameters` → `parametersJsonSchema`);
  `tool_choice` → `toolConfig.functionCallingConfig`.

Only what the caller sent is mapped: a parameter changes the request, and so the answer, exactly as
the native parameter would. Other OpenAI parameters (`stream_options`, `user`, `store`, `metadata`,
`parallel_tool_calls`, `logit_bias`, `service_tier`, ...) are accepted and ignored.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from emulator.casing import camelize
from emulator.errors import InvalidArgument
from emulator.generation.wire import stream_chunks as native_chunks
from emulator.ids import stable_digest

# Gemini's documented reasoning_effort → thinking budget (2.5 models).
REASONING_BUDGETS = {"none": 0, "minimal": 1024, "low": 1024, "medium": 8192, "high": 24576}
_DATA_URL = re.compile(r"^data:([^;,]+)?((?:;[^;,]+)*?),(.*)$", re.S)
_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE", "OTHER"}
)
_NUMBERS = {
    "temperature": "temperature",
    "top_p": "topP",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "top_logprobs": "logprobs",
}


def model_name(model: Any, where: str = "model") -> str:
    """`gemini-2.5-flash` or `models/gemini-2.5-flash` → `models/gemini-2.5-flash`."""
    if not isinstance(model, str) or not model.strip():
        raise InvalidArgument(f"{where} is required: a Gemini model such as gemini-2.5-flash.")
    model = model.strip()
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


def model_id(name: str) -> str:
    return name.removeprefix("models/")


# -- request ------------------------------------------------------------------------------------


def to_native(body: Mapping[str, Any], where: str = "") -> tuple[dict[str, Any], str]:
    """The camelized `GenerateContentRequest` for a chat-completions body, and its full model name."""
    model = model_name(body.get("model"), f"{where}model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidArgument(f"{where}messages is required: a non-empty list of messages.")
    system, contents = _messages(messages, where)
    request: dict[str, Any] = {"contents": contents}
    if system:
        request["systemInstruction"] = {"parts": system, "role": "user"}
    config = _generation_config(body, where)
    if config:
        request["generationConfig"] = config
    tools = body.get("tools")
    if tools is not None:
        request["tools"] = _tools(tools, where)
    choice = body.get("tool_choice")
    if choice is not None:
        request["toolConfig"] = {"functionCallingConfig": _tool_choice(choice, where)}
    return request, model


def _messages(messages: list[Any], where: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    answering = False  # the last content is a turn of function responses (tool messages merge into it)
    for index, message in enumerate(messages):
        at = f"{where}messages[{index}]"
        if not isinstance(message, Mapping):
            raise InvalidArgument(f"{at} must be an object with a role.")
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.extend(_text_parts(content, at))
            continue
        if role == "user":
            contents.append({"parts": _user_parts(content, at), "role": "user"})
        elif role == "assistant":
            parts = [p for p in _text_parts(content, at) if p["text"]] if content is not None else []
            for call in _assistant_calls(message, at):
                call_names[call["id"]] = call["name"]
                parts.append({"functionCall": {"name": call["name"], "args": call["args"]}})
            if not parts:
                continue  # an empty assistant turn says nothing to the model
            contents.append({"parts": parts, "role": "model"})
        elif role in ("tool", "function"):
            name = message.get("name") if role == "function" else call_names.get(str(message.get("tool_call_id")))
            if not isinstance(name, str) or not name:
                raise InvalidArgument(
                    f"{at}: a tool message must answer a tool call of an earlier assistant message "
                    "(tool_call_id not found)."
                )
            part = {"functionResponse": {"name": name, "response": _tool_result(content)}}
            if answering:
                contents[-1]["parts"].append(part)
            else:
                contents.append({"parts": [part], "role": "user"})
            answering = True
            continue
        else:
            raise InvalidArgument(f"{at}.role must be system, developer, user, assistant or tool, not {role!r}.")
        answering = False
    if not contents:
        raise InvalidArgument(f"{where}messages must contain at least one user message.")
    return system, contents


def _text_parts(content: Any, at: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    if isinstance(content, list):
        parts = []
        for index, item in enumerate(content):
            kind = item.get("type") if isinstance(item, Mapping) else None
            if kind in ("text", "refusal") and isinstance(item.get(kind), str):
                parts.append({"text": item[kind]})
            else:
                raise InvalidArgument(f"{at}.content[{index}] must be a text part here.")
        return parts
    raise InvalidArgument(f"{at}.content must be a string or a list of content parts.")


def _user_parts(content: Any, at: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list) or not content:
        raise InvalidArgument(f"{at}.content must be a string or a non-empty list of content parts.")
    parts = []
    for index, item in enumerate(content):
        where = f"{at}.content[{index}]"
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind == "text" and isinstance(item.get("text"), str):
            parts.append({"text": item["text"]})
        elif kind == "image_url":
            image = item.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            parts.append(_media_part(url, where, None))
        elif kind == "input_audio" and isinstance(item.get("input_audio"), Mapping):
            audio = item["input_audio"]
            data, fmt = audio.get("data"), audio.get("format")
            if not isinstance(data, str) or not isinstance(fmt, str):
                raise InvalidArgument(f"{where}.input_audio needs data (base64) and format.")
            parts.append({"inlineData": {"mimeType": f"audio/{fmt}", "data": data}})
        elif kind == "file" and isinstance(item.get("file"), Mapping):
            parts.append(_file_part(item["file"], where))
        else:
            raise InvalidArgument(f"{where}: unsupported content part type {kind!r}.")
    return parts


def _media_part(url: Any, where: str, filename: str | None) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise InvalidArgument(f"{where}: a URL or data URL is required.")
    if url.startswith("data:"):
        match = _DATA_URL.match(url)
        if match is None or ";base64" not in (match.group(2) or ""):
            raise InvalidArgument(f"{where}: a data URL must be base64 (data:<type>;base64,<data>).")
        return {"inlineData": {"mimeType": match.group(1) or "application/octet-stream", "data": match.group(3)}}
    data: dict[str, Any] = {"fileUri": url}
    guessed = mimetypes.guess_type(filename or url)[0]
    if guessed:
        data["mimeType"] = guessed
    return {"fileData": data}


def _file_part(file: Mapping[str, Any], where: str) -> dict[str, Any]:
    filename = file.get("filename") if isinstance(file.get("filename"), str) else None
    if isinstance(file.get("file_id"), str):
        return {"fileData": {"fileUri": "files/" + file["file_id"].removeprefix("files/")}}
    data = file.get("file_data")
    if isinstance(data, str) and data.startswith("data:"):
        return _media_part(data, where, filename)
    if isinstance(data, str):
        mime = (mimetypes.guess_type(filename)[0] if filename else None) or "application/pdf"
        return {"inlineData": {"mimeType": mime, "data": data}}
    raise InvalidArgument(f"{where}.file needs file_id or file_data.")


def _assistant_calls(message: Mapping[str, Any], at: str) -> list[dict[str, Any]]:
    calls = []
    raw = message.get("tool_calls") or []
    if not isinstance(raw, list):
        raise InvalidArgument(f"{at}.tool_calls must be a list.")
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):
        raw = [*raw, {"id": legacy.get("name"), "function": legacy}]
    for index, call in enumerate(raw):
        function = call.get("function") if isinstance(call, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{at}.tool_calls[{index}].function.name is required.")
        arguments = function.get("arguments") if isinstance(function, Mapping) else None
        try:
            args = orjson.loads(arguments) if isinstance(arguments, str) and arguments.strip() else {}
        except orjson.JSONDecodeError:
            raise InvalidArgument(f"{at}.tool_calls[{index}].function.arguments must be a JSON object.") from None
        if not isinstance(args, dict):
            raise InvalidArgument(f"{at}.tool_calls[{index}].function.arguments must be a JSON object.")
        calls.append({"id": str(call.get("id") or name), "name": name, "args": args})
    return calls


def _tool_result(content: Any) -> dict[str, Any]:
    """A tool message's content as a `functionResponse.response` (a JSON object): parsed when it is a
    JSON object, else `{"content": <text>}`."""
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    if not isinstance(content, str):
        return {"content": content}
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return {"content": content}
    return value if isinstance(value, dict) else {"content": content}


def _generation_config(body: Mapping[str, Any], where: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidArgument(f"{where}max_tokens must be a positive integer.")
        config["maxOutputTokens"] = limit
    for name, native in _NUMBERS.items():
        value = body.get(name)
        if value is not None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidArgument(f"{where}{name} must be a number.")
            config[native] = value
    n = body.get("n")
    if n is not None:
        config["candidateCount"] = n
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise InvalidArgument(f"{where}stop must be a string or a list of strings.")
        config["stopSequences"] = stops
    if body.get("logprobs") is not None:
        config["responseLogprobs"] = bool(body["logprobs"])
    config.update(_response_format(body.get("response_format"), where))
    thinking = _thinking(body, where)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def _response_format(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    if kind == "json_schema":
        spec = value.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if not isinstance(schema, Mapping):
            raise InvalidArgument(f"{where}response_format.json_schema.schema is required (a JSON Schema object).")
        return {"responseMimeType": "application/json", "responseJsonSchema": dict(schema)}
    raise InvalidArgument(f"{where}response_format.type must be text, json_object or json_schema, not {kind!r}.")


def _thinking(body: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    extra = body.get("extra_body")
    google = extra.get("google") if isinstance(extra, Mapping) else None
    google = google if isinstance(google, Mapping) else body.get("google")
    if isinstance(google, Mapping) and isinstance(google.get("thinking_config"), Mapping):
        thinking: dict[str, Any] = camelize(dict(google["thinking_config"]))
        return thinking
    effort = body.get("reasoning_effort")
    if effort is None:
        return None
    if effort not in REASONING_BUDGETS:
        raise InvalidArgument(f"{where}reasoning_effort must be one of {', '.join(REASONING_BUDGETS)}, not {effort!r}.")
    return {"thinkingBudget": REASONING_BUDGETS[effort]}


def _tools(tools: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        raise InvalidArgument(f"{where}tools must be a list.")
    declarations = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(tool, Mapping) or tool.get("type") != "function" or not isinstance(function, Mapping):
            kind = tool.get("type") if isinstance(tool, Mapping) else None
            raise InvalidArgument(f"{where}tools[{index}]: only function tools are supported, not {kind!r}.")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{where}tools[{index}].function.name is required.")
        declaration: dict[str, Any] = {"name": name}
        if isinstance(function.get("description"), str):
            declaration["description"] = function["description"]
        if isinstance(function.get("parameters"), Mapping):
            declaration["parametersJsonSchema"] = dict(function["parameters"])
        declarations.append(declaration)
    return [{"functionDeclarations": declarations}] if declarations else []


def _tool_choice(choice: Any, where: str) -> dict[str, Any]:
    modes = {"none": "NONE", "auto": "AUTO", "required": "ANY"}
    if isinstance(choice, str) and choice in modes:
        return {"mode": modes[choice]}
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str) and name:
            return {"mode": "ANY", "allowedFunctionNames": [name]}
    if isinstance(choice, Mapping) and choice.get("type") == "allowed_tools":
        allowed = choice.get("allowed_tools")
        allowed = allowed if isinstance(allowed, Mapping) else {}
        names = [
            t["function"]["name"]
            for t in allowed.get("tools") or ()
            if isinstance(t, Mapping) and isinstance(t.get("function"), Mapping) and "name" in t["function"]
        ]
        mode = "ANY" if allowed.get("mode") == "required" else "AUTO"
        return {"mode": mode, "allowedFunctionNames": names} if names else {"mode": mode}
    raise InvalidArgument(f"{where}tool_choice must be none, auto, required or a function, not {choice!r}.")


# -- response -----------------------------------------------------------------------------------


def finish_reason(native: Any, called: bool) -> str:
    if native == "MAX_TOKENS":
        return "length"
    if native in _FILTERED:
        return "content_filter"
    return "tool_calls" if called else "stop"


def call_id(response_id: str, choice: int, ordinal: int) -> str:
    return "call_" + stable_digest(response_id, str(choice), str(ordinal)).hex()[:24]


def _split(candidate: Mapping[str, Any], response_id: str, choice: int, first: int = 0) -> tuple[str, list[Any]]:
    """A candidate's answer text (thoughts left out) and its function calls as OpenAI tool calls."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    content = candidate.get("content")
    for part in (content.get("parts") if isinstance(content, Mapping) else None) or ():
        if not isinstance(part, Mapping) or part.get("thought"):
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part.get("functionCall"), Mapping):
            call = part["functionCall"]
            ordinal = first + len(calls)
            calls.append(
                {
                    "index": ordinal,
                    "id": call.get("id") or call_id(response_id, choice, ordinal),
                    "type": "function",
                    "function": {
                        "name": call.get("name", ""),
                        "arguments": orjson.dumps(call.get("args", {})).decode(),
                    },
                }
            )
    return "".join(texts), calls


def usage(response: Mapping[str, Any]) -> dict[str, Any]:
    meta = response.get("usageMetadata") or {}
    prompt = int(meta.get("promptTokenCount", 0))
    thoughts = int(meta.get("thoughtsTokenCount", 0))
    completion = int(meta.get("candidatesTokenCount", 0)) + thoughts
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(meta.get("totalTokenCount", prompt + completion)),
    }
    if thoughts:
        out["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    if meta.get("cachedContentTokenCount"):
        out["prompt_tokens_details"] = {"cached_tokens": int(meta["cachedContentTokenCount"])}
    return out


def completion(response: Mapping[str, Any], model: str, created: int) -> dict[str, Any]:
    """A `ChatCompletion` for a `GenerateContentResponse`. A blocked prompt (no candidates) is one
    choice with no content and `finish_reason: content_filter`."""
    response_id = str(response.get("responseId") or "")
    choices = []
    for position, candidate in enumerate(response.get("candidates") or ()):
        index = int(candidate.get("index", position))
        text, calls = _split(candidate, response_id, index)
        message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
        if calls:
            message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
        reason = finish_reason(candidate.get("finishReason"), bool(calls))
        if reason == "content_filter" and not text:
            message["content"] = None
        choices.append({"index": index, "message": message, "finish_reason": reason, "logprobs": None})
    if not choices:
        choices.append(
            {
                "index": 0,
                "message": {"role": "assistant", "content": None},
                "finish_reason": "content_filter",
                "logprobs": None,
            }
        )
    return {
        "id": f"chatcmpl-{response_id}",
        "object": "chat.completion",
        "created": created,
        "model": response.get("modelVersion") or model_id(model),
        "choices": choices,
        "usage": usage(response),
    }


def chunks(response: Mapping[str, Any], model: str, created: int, include_usage: bool) -> Iterator[dict[str, Any]]:
    """The streamed form of `completion(...)`: the native stream's chunks (texts cut every few words,
    as `streamGenerateContent` cuts them), each as a `chat.completion.chunk`; the first delta of each
    choice carries the role, the last its `finish_reason`; with `stream_options.include_usage`, a
    last chunk with no choices and the usage."""
    response_id = str(response.get("responseId") or "")
    base: dict[str, Any] = {
        "id": f"chatcmpl-{response_id}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": response.get("modelVersion") or model_id(model),
    }
    if include_usage:
        base["usage"] = None
    started: set[int] = set()
    called: dict[int, int] = {}
    for native in native_chunks(response):
        for candidate in native.get("candidates") or ():
            index = int(candidate.get("index", 0))
            text, calls = _split(candidate, response_id, index, called.get(index, 0))
            called[index] = called.get(index, 0) + len(calls)
            delta: dict[str, Any] = {}
            if index not in started:
                started.add(index)
                delta["role"] = "assistant"
            if text:
                delta["content"] = text
            if calls:
                delta["tool_calls"] = calls
            reason = None
            if "finishReason" in candidate:
                reason = finish_reason(candidate["finishReason"], called[index] > 0)
            yield {**base, "choices": [{"index": index, "delta": delta, "finish_reason": reason, "logprobs": None}]}
    if not started:
        choice = {"index": 0, "delta": {"role": "assistant"}, "finish_reason": "content_filter", "logprobs": None}
        yield {**base, "choices": [choice]}
    if include_usage:
        yield {**base, "choices": [], "usage": usage(response)}


def sse(chunk: Mapping[str, Any] | None) -> bytes:
    """One server-sent event; None is the closing `[DONE]`."""
    return b"data: " + (orjson.dumps(chunk) if chunk is not None else b"[DONE]") + b"\n\n"
