"""The default fake model: readable, deterministic answers shaped by the request's generation config.

Every choice is read from a digest of (seed, model, canonical request), so the same request gets the
same answer, synchronously or in any batch. What a request gets, in order of precedence:

1. a `functionCall` part, when tools are declared and `toolConfig` asks for a call (`tools.py`);
2. with `responseMimeType: application/json`, a JSON document valid against `responseSchema` or
   `responseJsonSchema` (`schema.py`); with `text/x.enum`, one of the schema's enum values;
3. otherwise two to four sentences from a fixed vocabulary, preceded by a note of each attached file.

The `echo` mode answers the latest user turn's text, `fixed` a configured text, in place of 1-3.
In every mode the text then honours `stopSequences` (cut before the first one found) and
`maxOutputTokens` (cut, `finishReason: MAX_TOKENS`); `candidateCount` gives that many candidates;
`thinkingConfig` adds `thoughtsTokenCount` (and a thought part with `includeThoughts`). Thoughts count
against `maxOutputTokens`, as on the real service. An image model adds a PNG part (`images.py`).
Token counts come from `tokens.py`.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from emulator.errors import InvalidArgument, file_not_found
from emulator.files.models import not_active
from emulator.ids import length_prefixed, rng_from_digest, stable_digest
from emulator.responder import RequestInfo, images
from emulator.responder import tools as toolkit
from emulator.responder.embeddings import check_task_type, embed_text, words_of
from emulator.responder.prompt import FILE_URI, inline_size, last_user_text, media_parts, texts_of
from emulator.responder.schema import JSON_SCHEMA, OPENAPI, enum_values, generate_value
from emulator.responder.tokens import part_tokens, prompt_tokens, scan_prompt, text_tokens

_WORDS = (
    "the a batch model answer request result data test value system output input line record job queue "
    "response token review summary report analysis context example detail feature option process step "
    "clear simple quick careful useful brief complete stable early final main small large new first next "
    "is are was shows gives returns takes makes keeps uses finds needs helps checks builds runs moves "
    "and or but so then also still often never always here there today later again together instead "
    "of in on for with from about into over after before under between through across within without"
).split()

_EMBEDDING_DIMENSIONS = {"gemini-embedding": 3072, "text-embedding": 768, "embedding": 768, "text-multilingual": 768}
_DEFAULT_EMBEDDING_DIMENSION = 768
MAX_CANDIDATES = 8
MODES = ("default", "echo", "fixed")


def embedding_dimension(model: str) -> int:
    """3072 for `gemini-embedding-*`, 768 for the older embedding models and anything else."""
    model_id = model.rsplit("/", 1)[-1]
    for prefix, dim in _EMBEDDING_DIMENSIONS.items():
        if model_id.startswith(prefix):
            return dim
    return _DEFAULT_EMBEDDING_DIMENSION


def canonical_request(request: Mapping[str, Any]) -> bytes:
    """The request as sorted, compact JSON: the same request spelt differently hashes the same. Empty
    top-level fields (`"generationConfig": {}`, which the SDK sends on some synchronous calls but not
    in batches) do not count."""
    if not all(request.values()) and any(value is None or value == {} or value == [] for value in request.values()):
        request = {k: v for k, v in request.items() if not (v is None or v == {} or v == [])}
    return orjson.dumps(request, option=orjson.OPT_SORT_KEYS)


class DefaultResponder:
    """The fake model. `mode` is "default", "echo" (repeat the prompt) or "fixed" (answer `text`).
    `image_models` names the models that draw images, each with whether it takes `imageSize`."""

    def __init__(
        self, seed: int, mode: str = "default", text: str = "", image_models: Mapping[str, bool] | None = None
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.seed = seed
        self.mode = mode
        self.text = text
        self.image_models = dict(image_models or {})
        self._prefixes: dict[str, bytes] = {}  # model -> the digest's (seed, model) prefix

    def __getstate__(self) -> dict[str, Any]:  # the prefix cache is rebuilt, not shipped to workers
        return {"seed": self.seed, "mode": self.mode, "text": self.text, "image_models": self.image_models}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["seed"], state["mode"], state["text"], state.get("image_models"))  # type: ignore[misc]

    def configure(self, rules: list[dict[str, Any]]) -> None:
        if rules:
            raise InvalidArgument("This responder takes no rules.")

    def digest(self, request: Mapping[str, Any], model: str) -> bytes:
        """`stable_digest(str(seed), model, canonical_request(request))`, with the (seed, model) part
        of its input built once per model: this runs once per batch line."""
        prefix = self._prefixes.get(model)
        if prefix is None:
            prefix = self._prefixes[model] = length_prefixed(str(self.seed), model)
        canonical = canonical_request(request)
        # length_prefixed(canonical), written out: a call through it costs a microsecond a line here.
        return hashlib.sha256(prefix + len(canonical).to_bytes(8, "big") + canonical).digest()

    # -- generateContent ----------------------------------------------------------------------------
    def generate(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        return self.answer(request, info, None)

    def answer(self, request: Mapping[str, Any], info: RequestInfo, text: str | None) -> dict[str, Any]:
        """The response to `request`; with `text`, that text stands in for the model's own answer (a
        scripted rule's), and is shaped by the generation config like any other."""
        contents = request.get("contents")
        if not isinstance(contents, list) or not contents:
            raise InvalidArgument("* GenerateContentRequest.contents: contents is not specified")
        config = request.get("generationConfig") or {}
        if not isinstance(config, dict):
            raise InvalidArgument("* GenerateContentRequest.generation_config: must be an object.")
        digest = self.digest(request, info.model)
        prompt, media = scan_prompt(request)
        sizes = self.image_models.get(info.model)
        if text is None and not media and self.mode == "default" and _SHAPING.isdisjoint(config) and sizes is None:
            if not request.get("tools"):  # the common case, built directly: it runs once per batch line
                return _plain(_sentences(digest), prompt, digest, info.model)
        with_text, with_image = images.modalities(config, sizes is not None)
        notes = _media_notes(contents, info) if media else ""
        count = _candidate_count(config.get("candidateCount"))
        thinking = _thinking(config.get("thinkingConfig"))
        max_tokens = _max_tokens(config.get("maxOutputTokens"))
        stops = config.get("stopSequences")
        tools = text is None and self.mode == "default" and bool(request.get("tools"))
        candidates = []
        thoughts_total = candidates_total = image_total = 0
        for index in range(count):
            cand_digest = digest if index == 0 else stable_digest(digest, str(index))
            parts: list[dict[str, Any]] = []
            extra: dict[str, Any] = {}
            thoughts = 0
            if thinking is not None:
                thoughts = _thought_tokens(thinking, cand_digest)
                if thinking.get("includeThoughts") is True:
                    parts.append({"text": _sentences(stable_digest(cand_digest, "thought")), "thought": True})
            calls = toolkit.choose_calls(request, last_user_text(contents)) if tools else []
            finish = "STOP"
            if calls:
                rng = _rng(cand_digest)
                parts.extend(toolkit.call_part(declaration, rng) for declaration in calls)
                candidates_total += sum(part_tokens(p) for p in parts if not p.get("thought"))
            else:
                body = text if text is not None else self._text(request, config, contents, cand_digest, notes)
                body, finish = _shape(body, stops, max_tokens, thoughts)
                if tools:
                    tool_parts = self._tool_parts(request, contents, body, cand_digest, extra)
                    candidates_total += sum(part_tokens(p) for p in tool_parts)
                    parts.extend(tool_parts)
                elif with_image:
                    picture, tokens = images.image_part(config, cand_digest, bool(sizes))
                    parts.extend([{"text": body}, picture] if with_text else [picture])
                    candidates_total += tokens + (text_tokens(body) if with_text else 0)
                    image_total += tokens
                else:
                    candidates_total += text_tokens(body)
                    if body or not parts:
                        parts.append({"text": body})
            thoughts_total += thoughts
            candidate = {"content": {"parts": parts, "role": "model"}, "finishReason": finish, "index": index}
            if extra:
                candidate.update(extra)
            candidates.append(candidate)
        usage: dict[str, Any] = {"promptTokenCount": prompt, "candidatesTokenCount": candidates_total}
        if image_total:
            usage["candidatesTokensDetails"] = images.token_details(candidates_total, image_total)
        if thinking is not None:
            usage["thoughtsTokenCount"] = thoughts_total
        usage["totalTokenCount"] = prompt + candidates_total + thoughts_total
        return {
            "candidates": candidates,
            "usageMetadata": usage,
            "modelVersion": info.model.rsplit("/", 1)[-1],
            "responseId": response_id(digest),
        }

    def complete(self, response: dict[str, Any], request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        """Fill in what a scripted or custom response left out: usage, model version, response id."""
        if "usageMetadata" not in response:
            prompt = prompt_tokens(request)
            out = 0
            for candidate in response.get("candidates") or ():
                content = candidate.get("content") if isinstance(candidate, Mapping) else None
                parts = content.get("parts") if isinstance(content, Mapping) else None
                out += sum(part_tokens(p) for p in parts or () if isinstance(p, Mapping) and not p.get("thought"))
            response["usageMetadata"] = {
                "promptTokenCount": prompt,
                "candidatesTokenCount": out,
                "totalTokenCount": prompt + out,
            }
        response.setdefault("modelVersion", info.model.rsplit("/", 1)[-1])
        if "responseId" not in response:
            response["responseId"] = response_id(self.digest(request, info.model))
        return response

    def _text(
        self, request: Mapping[str, Any], config: Mapping[str, Any], contents: list[Any], digest: bytes, notes: str
    ) -> str:
        if self.mode == "echo":
            return last_user_text(contents)
        if self.mode == "fixed":
            return self.text
        mime = config.get("responseMimeType")
        if config and (mime is not None or "responseSchema" in config or "responseJsonSchema" in config):
            structured = _structured(config, mime, digest)
            if structured is not None:
                return structured
        return notes + _sentences(digest)

    def _tool_parts(
        self, request: Mapping[str, Any], contents: list[Any], body: str, digest: bytes, extra: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Text parts for a request with tools but no call: code execution and grounding if declared,
        and a mention of the functions whose results came back."""
        answered = toolkit.function_responses(contents)
        if answered:
            body = f"Based on the result of {', '.join(answered)}: {body}"
        user = last_user_text(contents)
        if toolkit.has_tool(request, "googleSearch") or toolkit.has_tool(request, "googleSearchRetrieval"):
            extra["groundingMetadata"] = toolkit.grounding_metadata(body, user, response_id(digest)[:8].lower())
        if toolkit.has_tool(request, "urlContext") and (meta := toolkit.url_context_metadata(user)) is not None:
            extra["urlContextMetadata"] = meta
        if toolkit.has_tool(request, "codeExecution"):
            return toolkit.code_execution_parts(body)
        return [{"text": body}]

    # -- embedContent -------------------------------------------------------------------------------
    def embed(self, request: Mapping[str, Any], info: RequestInfo) -> dict[str, Any]:
        content = request.get("content")
        if not isinstance(content, Mapping) or not content.get("parts"):
            raise InvalidArgument("* EmbedContentRequest.content: content is not specified")
        dim = embedding_dimension(info.model)
        wanted = request.get("outputDimensionality")
        if wanted is not None:
            if not str(wanted).isdigit() or not 1 <= int(wanted) <= dim:
                raise InvalidArgument(f"* EmbedContentRequest.output_dimensionality: must be between 1 and {dim}.")
            dim = int(wanted)
        task = check_task_type(request.get("taskType"))
        words = words_of("\n".join(texts_of(content)))
        title = request.get("title")
        if isinstance(title, str) and task == "RETRIEVAL_DOCUMENT":
            words += words_of(title)
        return {"embedding": {"values": embed_text(words, dim, task)}}


# The generation config fields that change an answer's shape; without any of them (and without tools
# or media), an answer is a plain text candidate.
_SHAPING = frozenset(
    {
        "candidateCount",
        "thinkingConfig",
        "maxOutputTokens",
        "stopSequences",
        "responseMimeType",
        "responseSchema",
        "responseJsonSchema",
        "responseModalities",
    }
)


def _plain(body: str, prompt: int, digest: bytes, model: str) -> dict[str, Any]:
    """What `answer` builds for one plain text candidate, without its general machinery."""
    out = text_tokens(body)
    return {
        "candidates": [{"content": {"parts": [{"text": body}], "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": out, "totalTokenCount": prompt + out},
        "modelVersion": model.rsplit("/", 1)[-1],
        "responseId": response_id(digest),
    }


def response_id(digest: bytes) -> str:
    """URL-safe base64 of half the digest, unpadded (binascii directly: this runs once per line)."""
    return binascii.b2a_base64(digest[16:32], newline=False).translate(_URL_SAFE).decode().rstrip("=")


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


_rng = rng_from_digest


def _structured(config: Mapping[str, Any], mime: Any, digest: bytes) -> str | None:
    """The JSON or enum text the config asks for, or None for plain text."""
    schema, dialect = config.get("responseSchema"), OPENAPI
    if config.get("responseJsonSchema") is not None:
        if schema is not None:
            raise InvalidArgument("responseSchema and responseJsonSchema cannot both be set.")
        schema, dialect = config["responseJsonSchema"], JSON_SCHEMA
    if mime == "application/json":
        if schema is None:
            return orjson.dumps({"text": _sentences(digest)}).decode()
        return orjson.dumps(generate_value(schema, _rng(digest), dialect)).decode()
    if mime == "text/x.enum":
        values = enum_values(schema)
        if not values:
            raise InvalidArgument("responseMimeType text/x.enum needs a responseSchema with an enum.")
        return str(_rng(digest).choice(values))
    if schema is not None:
        raise InvalidArgument(
            "* GenerateContentRequest.generation_config.response_mime_type: must be application/json "
            f"or text/x.enum when a response schema is set, not {mime!r}."
        )
    return None


def _shape(text: str, stops: Any, max_tokens: int | None, thoughts: int) -> tuple[str, str]:
    if isinstance(stops, list):
        cut = min((i for s in stops if isinstance(s, str) and s and (i := text.find(s)) >= 0), default=-1)
        if cut >= 0:
            text = text[:cut]
    if max_tokens is not None:
        room = max(0, max_tokens - thoughts)
        if text_tokens(text) > room:
            return text[: room * 4].rstrip(), "MAX_TOKENS"
    return text, "STOP"


def _candidate_count(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, int | str) and str(value).isdigit() and 1 <= int(value) <= MAX_CANDIDATES:
        return int(value)
    raise InvalidArgument(
        f"* GenerateContentRequest.generation_config.candidate_count: must be between 1 and {MAX_CANDIDATES}."
    )


def _max_tokens(value: Any) -> int | None:
    if isinstance(value, int | str) and str(value).isdigit():
        return int(value)
    return None


def _thinking(value: Any) -> Mapping[str, Any] | None:
    """The thinking config when it turns thinking on (a non-zero budget, a level, or includeThoughts)."""
    if not isinstance(value, Mapping):
        return None
    budget = value.get("thinkingBudget")
    if budget is not None:
        return value if str(budget).lstrip("-").isdigit() and int(budget) != 0 else None
    return value if value.get("thinkingLevel") or value.get("includeThoughts") else None


def _thought_tokens(thinking: Mapping[str, Any], digest: bytes) -> int:
    """64-1084 tokens, a quarter for `thinkingLevel: LOW`, never above a positive `thinkingBudget`."""
    tokens = 64 + digest[5] * 4
    if str(thinking.get("thinkingLevel", "")).upper() in ("LOW", "MINIMAL"):
        tokens //= 4
    budget = thinking.get("thinkingBudget")
    if budget is not None and int(budget) > 0:
        tokens = min(tokens, int(budget))
    return tokens


def _media_notes(contents: list[Any], info: RequestInfo) -> str:
    """One sentence per attached file, so a test can see what reached the model. A `fileData` URI
    naming an uploaded file must exist (403, as on the real service)."""
    notes = []
    for part in media_parts(contents):
        inline = part.get("inlineData")
        if isinstance(inline, Mapping):
            notes.append(f"Inline data ({inline.get('mimeType', 'unknown')}, {inline_size(inline.get('data'))} bytes).")
            continue
        data = part.get("fileData")
        data = data if isinstance(data, Mapping) else {}
        uri = data.get("fileUri")
        if not isinstance(uri, str):
            raise InvalidArgument("* GenerateContentRequest.contents.parts.file_data.file_uri: file_uri is required.")
        match = FILE_URI.search(uri)
        if match is not None and info.files is not None:
            found = info.files(uri)
            if found is None:
                raise file_not_found(match.group(1))
            if not found.active:
                raise not_active(match.group(1))
            notes.append(f"File {found.name} ({found.mime_type}, {found.size_bytes} bytes).")
        else:
            notes.append(f"File {uri} ({data.get('mimeType', 'unknown')}).")
    return " ".join(notes) + " " if notes else ""


_WORD_FOR_BYTE = [_WORDS[b % len(_WORDS)] for b in range(256)]
_FIRST_WORD_FOR_BYTE = [word.capitalize() for word in _WORD_FOR_BYTE]
_LAST_WORD_FOR_BYTE = [word + "." for word in _WORD_FOR_BYTE]
_WORD_AT = _WORD_FOR_BYTE.__getitem__


def _sentences(digest: bytes) -> str:
    """Two to four sentences of 6-14 words, every choice read from a stream derived from `digest`
    (cheaper than seeding a `random.Random` per request: this runs once per batch line). All the
    words are joined at once: the first of a sentence capitalized, the last with its full stop."""
    stream = hashlib.shake_256(digest).digest(64)
    count = 2 + stream[0] % 3
    at = 1 + count
    words: list[str] = []
    for i in range(1, count + 1):
        end = at + 6 + stream[i] % 9
        words.append(_FIRST_WORD_FOR_BYTE[stream[at]])
        words.extend(map(_WORD_AT, stream[at + 1 : end - 1]))
        words.append(_LAST_WORD_FOR_BYTE[stream[end - 1]])
        at = end
    return " ".join(words)
