"""JSON as Google's front end reads it: standard JSON plus the legacy syntax it has always accepted.

The Gemini API's front end parses request bodies with protobuf's JSON stream parser: its errors are
the ones users quote (`Invalid JSON payload received. Expected , or } after key:value pair.`, the
offending text and a caret below it), and the docs' curl examples rely on what it accepts beyond
JSON. protobuf's newer parser keeps the same extensions for compatibility ("a non-standard extension
accepted by the ESF parser", json/internal/lexer.cc) and its public `JsonStringToMessage` turns them
on. What is accepted (docs/api.md lists it too):

- strings (keys and values) in single quotes as well as double quotes: `{'file': {'display_name': 'x'}}`;
- bare keys, an identifier of letters, digits, `_` and `$` not starting with a digit: `{file: {}}`
  (a key that is exactly `true`, `false` or `null` is refused);
- a trailing comma before `}` or `]`: `{"a": 1,}`, `[1, 2,]`;
- any character after a backslash stands for itself (`\\'`, `\\q`), and `\\v` is a vertical tab;
- control characters inside strings.

Refused, as there: comments, `NaN`/`Infinity`, a leading `+`, leading zeros (`01`, hex), an empty
element (`[1,,2]`), text after the value. `loads` tries orjson first (standard JSON, the common case,
parsed at C speed) and parses with these rules only when that fails, so standard JSON costs nothing
extra. Pure: no I/O.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

__all__ = ["JsonSyntaxError", "loads"]

PREFIX = "Invalid JSON payload received. "
_CONTEXT = 20
_WHITESPACE = " \t\n\r\v\f"
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_KEY_CHARS = _LETTERS | frozenset("0123456789")
_NUMBER_CHARS = frozenset("0123456789.eE+-x")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_KEYWORDS = (("true", True), ("false", False), ("null", None))
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
_NOT_UTF8 = "Encountered non UTF-8 code points."


class JsonSyntaxError(ValueError):
    """The body is not JSON Google's front end would accept; `str()` is its message, the prefix,
    the reason, the text around the problem and a caret under it; `reason` is the reason alone."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def loads(data: bytes | str) -> Any:
    """The value `data` holds, read as Google's front end reads it (JsonSyntaxError if it would
    refuse it)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonSyntaxError(PREFIX + _NOT_UTF8, _NOT_UTF8) from None
    return _Parser(data).document()


class _Parser:
    """protobuf's JsonStreamParser, whole-input: the same grammar, errors and messages."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    # -- driver: an explicit stack, so that nesting depth never meets Python's recursion limit ------
    def document(self) -> Any:
        value = self._value_then_containers()
        self._skip()
        if self.at < len(self.text):
            raise self._fail("Parsing terminated before end of input.")
        return value

    def _value_then_containers(self) -> Any:
        # Each open container: [the container, key waiting for its value (objects), kind].
        stack: list[list[Any]] = []
        value = self._scalar_or_open(stack, "Expected a value.")
        while True:
            if value is not _OPEN:
                if not stack:
                    return value
                top = stack[-1]
                if top[2] == "object":
                    top[0][top[1]] = value
                else:
                    top[0].append(value)
                value = self._after_member(stack)
                continue
            value = self._first_member(stack)

    def _first_member(self, stack: list[list[Any]]) -> Any:
        """Just after `{` or `[` (or a comma): the next member, the container closed, or `_OPEN`."""
        top = stack[-1]
        self._skip()
        if top[2] == "object":
            if self._peek() == "}":
                self.at += 1
                stack.pop()
                return top[0]
            top[1] = self._key()
            self._skip()
            if self._peek() != ":":
                raise self._unknown_or_fail("Expected : between key:value pair.")
            self.at += 1
            return self._scalar_or_open(stack, "Expected a value.")
        if self._peek() == "]":
            self.at += 1
            stack.pop()
            return top[0]
        return self._scalar_or_open(stack, "Expected a value or ] within an array.")

    def _after_member(self, stack: list[list[Any]]) -> Any:
        top = stack[-1]
        self._skip()
        close, message = ("}", "Expected , or } after key:value pair.")
        if top[2] == "array":
            close, message = ("]", "Expected , or ] after array value.")
        char = self._peek()
        if char == close:
            self.at += 1
            stack.pop()
            return top[0]
        if char == ",":
            self.at += 1
            return self._first_member(stack)  # a trailing comma is fine: the close comes next
        raise self._unknown_or_fail(message)

    # -- tokens -------------------------------------------------------------------------------------
    def _scalar_or_open(self, stack: list[list[Any]], unknown: str) -> Any:
        self._skip()
        char = self._peek()
        if char in ("{", "["):
            self.at += 1
            stack.append([{} if char == "{" else [], None, "object" if char == "{" else "array"])
            return _OPEN
        if char in ('"', "'"):
            return self._string()
        if char == "-" or (char.isdigit() and char.isascii()):
            return self._number()
        for word, meaning in _KEYWORDS:
            if self.text.startswith(word, self.at):
                self.at += len(word)
                return meaning
        if char in _LETTERS or char in (",", ":", "}", "]"):
            raise self._fail("Unexpected token.")
        raise self._unknown_or_fail(unknown if char else "Expected a value.")

    def _key(self) -> str:
        char = self._peek()
        if char in ('"', "'"):
            return self._string()
        if char in _LETTERS:
            start = self.at
            while self.at < len(self.text) and self.text[self.at] in _KEY_CHARS:
                self.at += 1
            key = self.text[start : self.at]
            if key in ("true", "false", "null"):
                raise self._fail("Expected an object key or }.")
            return key
        raise self._unknown_or_fail("Expected an object key or }.")

    def _string(self) -> str:
        quote = self.text[self.at]
        self.at += 1
        text, out = self.text, []
        start = self.at
        while self.at < len(text):
            char = text[self.at]
            if char == quote:
                out.append(text[start : self.at])
                self.at += 1
                return "".join(out)
            if char != "\\":
                self.at += 1
                continue
            out.append(text[start : self.at])
            if self.at + 1 >= len(text):
                raise self._fail("Closing quote expected in string.")
            escaped = text[self.at + 1]
            if escaped == "u":
                out.append(self._unicode_escape())
            else:
                out.append(_ESCAPES.get(escaped, escaped))
                self.at += 2
            start = self.at
        raise self._fail("Closing quote expected in string.")

    def _unicode_escape(self) -> str:
        code = self._hex4(self.at)
        if 0xD800 <= code <= 0xDBFF:
            if self.at + 12 > len(self.text):
                raise self._fail("Missing low surrogate.")
            if self.text.startswith("\\u", self.at + 6):
                low = self._hex4(self.at + 6)
                if not 0xDC00 <= low <= 0xDFFF:
                    raise self._fail("Invalid low surrogate.")
                self.at += 12
                return chr(((code & 0x3FF) << 10 | (low & 0x3FF)) + 0x10000)
            raise self._fail("Missing low surrogate.")
        if 0xDC00 <= code <= 0xDFFF:
            raise self._fail("Invalid unicode code point.")
        self.at += 6
        return chr(code)

    def _hex4(self, at: int) -> int:
        digits = self.text[at + 2 : at + 6]
        if len(digits) < 4:
            raise self._fail("Illegal hex string.")
        if not all(d in "0123456789abcdefABCDEF" for d in digits):
            raise self._fail("Invalid escape sequence.")
        return int(digits, 16)

    def _number(self) -> int | float:
        start = self.at
        while self.at < len(self.text) and self.text[self.at] in _NUMBER_CHARS:
            self.at += 1
        number = self.text[start : self.at]
        self.at = start  # errors point at the number's start, as the original's do
        if any(c in ".eE" for c in number):
            value: int | float = self._double(number)
        elif not number.startswith("-"):
            if len(number) >= 2 and number[0] == "0":
                raise self._fail("Octal/hex numbers are not valid JSON values.")
            value = int(number) if number.isdigit() and int(number) <= _UINT64_MAX else self._double(number)
        else:
            if len(number) >= 3 and number[1] == "0":
                raise self._fail("Octal/hex numbers are not valid JSON values.")
            digits = number[1:]
            value = -int(digits) if digits.isdigit() and -int(digits) >= _INT64_MIN else self._double(number)
        self.at = start + len(number)
        return value

    def _double(self, number: str) -> float:
        try:
            value = float(number)
        except ValueError:
            raise self._fail("Unable to parse number.") from None
        if not math.isfinite(value):
            raise self._fail("Number exceeds the range of double.")
        return value

    # -- helpers ------------------------------------------------------------------------------------
    def _skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in _WHITESPACE:
            self.at += 1

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _unknown_or_fail(self, message: str) -> JsonSyntaxError:
        """What the original reports for an unexpected character, or for the end of the input."""
        if self.at >= len(self.text):
            return self._fail("Unexpected end of string. " + message)
        return self._fail(message)

    def _fail(self, message: str) -> JsonSyntaxError:
        begin = max(self.at - _CONTEXT, 0)
        segment = self.text[begin : self.at + _CONTEXT]
        return JsonSyntaxError(f"{PREFIX}{message}\n{segment}\n{' ' * (self.at - begin)}^", message)


_OPEN: Any = object()  # "a container was opened": its members come next
