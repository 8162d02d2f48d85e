"""Google's request schema, compiled once per process into plain lookup tables.

The source is `generativelanguage.binpb`: a serialized `FileDescriptorSet` of the v1beta request
messages, extracted from Google's `google-ai-generativelanguage` package by `make schema`
(tools/vendor_schema.py; `generativelanguage.json` records the version). The `protobuf` package
reads it (imported here, on first validation, never at start-up); each message then becomes a
`Message` whose `fields` map both spellings of every field (lowerCamel `json_name` and
snake_case `name`, as proto3 JSON accepts both) to a `Field`. The walker (`emulator.validation.walk`)
reads only these tables, never protobuf objects, which is what makes it fast.

`OVERLAY` adds the fields the live API accepts (and the current SDKs send) that the newest
published package does not carry yet; each entry names its source.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DESCRIPTORS = HERE / "generativelanguage.binpb"
RECORD = HERE / "generativelanguage.json"
PACKAGE = "google.ai.generativelanguage.v1beta"

# Field kinds (the walker compares these small ints).
MESSAGE, STRING, BOOL, INT, FLOAT, ENUM, BYTES = range(7)
# Well-known types, checked by their JSON form rather than as messages.
STRUCT, VALUE, LIST_VALUE, DURATION, TIMESTAMP = range(10, 15)
_WELL_KNOWN = {
    "google.protobuf.Struct": STRUCT,
    "google.protobuf.Value": VALUE,
    "google.protobuf.ListValue": LIST_VALUE,
    "google.protobuf.Duration": DURATION,
    "google.protobuf.Timestamp": TIMESTAMP,
}
# descriptor FieldDescriptor.TYPE_* numbers -> (kind, Google's type label, integer range)
_I32 = (-(2**31), 2**31 - 1)
_U32 = (0, 2**32 - 1)
_I64 = (-(2**63), 2**63 - 1)
_U64 = (0, 2**64 - 1)
_SCALARS: dict[int, tuple[int, str, tuple[int, int] | None]] = {
    1: (FLOAT, "TYPE_DOUBLE", None),
    2: (FLOAT, "TYPE_FLOAT", None),
    3: (INT, "TYPE_INT64", _I64),
    4: (INT, "TYPE_UINT64", _U64),
    5: (INT, "TYPE_INT32", _I32),
    6: (INT, "TYPE_FIXED64", _U64),
    7: (INT, "TYPE_FIXED32", _U32),
    8: (BOOL, "TYPE_BOOL", None),
    9: (STRING, "TYPE_STRING", None),
    12: (BYTES, "TYPE_BYTES", None),
    13: (INT, "TYPE_UINT32", _U32),
    15: (INT, "TYPE_SFIXED32", _I32),
    16: (INT, "TYPE_SFIXED64", _I64),
    17: (INT, "TYPE_SINT32", _I32),
    18: (INT, "TYPE_SINT64", _I64),
}
_TYPE_MESSAGE, _TYPE_ENUM = 11, 14


@dataclass(slots=True, eq=False)
class Field:
    name: str  # snake_case, as Google's error paths spell it
    kind: int
    label: str  # what Google shows in "Invalid value at '...' (<label>), ..."
    repeated: bool = False
    map_value: Field | None = None  # a map<string, V>: the value's field; keys are JSON object keys
    message: Message | None = None
    enum: frozenset[str] = frozenset()
    bounds: tuple[int, int] | None = None
    oneof: str | None = None
    # A Python type every value of which is valid here (str for a string field...), or None: the
    # walker's fast path. Not for int fields (their range is checked) nor float32 ones (likewise).
    fast: type | None = None
    fast_ok: type | None = None  # `fast`, outside a oneof (whose members are counted even when valid)

    def __post_init__(self) -> None:
        if self.map_value is None:
            self.fast = {STRING: str, BOOL: bool}.get(self.kind)
            if self.label == "TYPE_DOUBLE":
                self.fast = float
            if self.repeated:
                self.fast_ok = None  # a list is checked element by element
            elif self.oneof is None:
                self.fast_ok = self.fast


@dataclass(slots=True, eq=False)
class Message:
    full_name: str
    fields: dict[str, Field] = field(default_factory=dict)  # by json_name and by name


# Fields the live v1beta API accepts beyond the vendored package (message -> json_name -> spec),
# each as the current SDK sends it to the Gemini API (google-genai 3.6, `types.py`):
# `ThinkingConfig.thinking_level` (enum `ThinkingLevel`), `ImageConfig.image_size`,
# `FileSearch.file_search_store_names`/`top_k`/`metadata_filter` (the package still has the older
# `retrieval_resources` form), `Part.media_resolution` (an object, `PartMediaResolution`: its
# contents are not checked). A newer package that has a field makes its entry a no-op.
OVERLAY: dict[str, dict[str, dict[str, Any]]] = {
    "ThinkingConfig": {
        "thinkingLevel": {
            "name": "thinking_level",
            "enum": ["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"],
            "type": f"type.googleapis.com/{PACKAGE}.ThinkingLevel",
        },
    },
    "ImageConfig": {"imageSize": {"name": "image_size", "kind": "string"}},
    "FileSearch": {
        "fileSearchStoreNames": {"name": "file_search_store_names", "kind": "string", "repeated": True},
        "topK": {"name": "top_k", "kind": "int"},
        "metadataFilter": {"name": "metadata_filter", "kind": "string"},
    },
    "Part": {"mediaResolution": {"name": "media_resolution", "kind": "object"}},
}


def record() -> dict[str, Any]:
    """Where the vendored schema came from (package, version, digest)."""
    data: dict[str, Any] = json.loads(RECORD.read_text())
    return data


@functools.cache
def messages() -> dict[str, Message]:
    """Every message of the vendored schema by full name, compiled once per process (a pure
    function of the vendored file, so caching it is safe)."""
    from google.protobuf import descriptor_pb2, descriptor_pool  # type: ignore[import-untyped]

    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for proto in files.file:
        pool.Add(proto)
    compiled: dict[str, Message] = {}
    for proto in files.file:
        prefix = f"{proto.package}." if proto.package else ""
        for message in proto.message_type:
            _compile(pool.FindMessageTypeByName(prefix + message.name), compiled)
    for short, extra in OVERLAY.items():
        target = compiled.get(f"{PACKAGE}.{short}")
        if target is not None:
            for json_name, spec in extra.items():
                _overlay(target, json_name, spec)
    return compiled


def message(short_name: str) -> Message:
    """A v1beta message by its short name (`GenerateContentRequest`)."""
    return messages()[f"{PACKAGE}.{short_name}"]


def _compile(descriptor: Any, compiled: dict[str, Message]) -> Message:
    found = compiled.get(descriptor.full_name)
    if found is not None:
        return found
    out = Message(descriptor.full_name)
    compiled[descriptor.full_name] = out  # before the fields: messages nest recursively (Schema)
    for nested in descriptor.nested_types:
        _compile(nested, compiled)
    for fd in descriptor.fields:
        built = _field(fd, compiled)
        out.fields[fd.json_name] = built
        out.fields[built.name] = built
    return out


def _field(fd: Any, compiled: dict[str, Message]) -> Field:
    built = _field_of_kind(fd, compiled)
    # proto-plus renames fields that are Python keywords (`type` -> `type_`); the wire name is the
    # original one, which `json_name` kept
    if built.name.endswith("_") and fd.json_name == built.name[:-1]:
        built.name = fd.json_name
    return built


def _field_of_kind(fd: Any, compiled: dict[str, Message]) -> Field:
    oneof = fd.containing_oneof
    # proto3 `optional` fields sit in a synthetic one-field oneof named `_<field>`: not a real choice
    real_oneof = (
        oneof.name if oneof is not None and not (len(oneof.fields) == 1 and oneof.name == "_" + fd.name) else None
    )
    # `is_repeated` in protobuf >= 6.31 (where `label` is gone); `label` before
    repeated = bool(fd.is_repeated) if hasattr(fd, "is_repeated") else fd.label == fd.LABEL_REPEATED
    if fd.type == _TYPE_MESSAGE:
        target = fd.message_type
        if target.GetOptions().map_entry:
            value = _field(target.fields_by_name["value"], compiled)
            return Field(fd.name, MESSAGE, "map", map_value=value, oneof=real_oneof)
        kind = _WELL_KNOWN.get(target.full_name, MESSAGE)
        nested = _compile(target, compiled) if kind == MESSAGE else None
        label = f"type.googleapis.com/{target.full_name}"
        return Field(fd.name, kind, label, repeated=repeated, message=nested, oneof=real_oneof)
    if fd.type == _TYPE_ENUM:
        names = frozenset(value.name for value in fd.enum_type.values)
        label = f"type.googleapis.com/{fd.enum_type.full_name}"
        return Field(fd.name, ENUM, label, repeated=repeated, enum=names, bounds=_I32, oneof=real_oneof)
    kind, label, bounds = _SCALARS[fd.type]
    return Field(fd.name, kind, label, repeated=repeated, bounds=bounds, oneof=real_oneof)


def _overlay(target: Message, json_name: str, spec: dict[str, Any]) -> None:
    if json_name in target.fields:
        return  # a newer vendored schema has it already
    kind = spec.get("kind")
    if "enum" in spec:
        built = Field(spec["name"], ENUM, spec["type"], enum=frozenset(spec["enum"]), bounds=_I32)
    elif kind == "int":
        built = Field(spec["name"], INT, "TYPE_INT32", bounds=_I32)
    elif kind == "object":
        built = Field(spec["name"], STRUCT, "type.googleapis.com/google.protobuf.Struct")
    else:
        built = Field(spec["name"], STRING, "TYPE_STRING", repeated=bool(spec.get("repeated")))
    target.fields[json_name] = built
    target.fields[spec["name"]] = built
