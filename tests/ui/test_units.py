"""The dashboard's pure parts: escaping templates, formatting, the line viewer, filters."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from emulator.batches.models import BatchState
from emulator.ids import tenant_for_key
from emulator.ui import lines
from emulator.ui.html import Html, duration, join, render, size, state_badge, url
from emulator.ui.queries import BatchFilter, head


def test_render_escapes_every_value_unless_it_is_html() -> None:
    out = render('<a title="{t}">{body}</a>{raw}', t='" onclick="x', body="<b>&</b>", raw=Html("<i>ok</i>"))
    assert out == '<a title="&quot; onclick=&quot;x">&lt;b&gt;&amp;&lt;/b&gt;</a><i>ok</i>'
    assert isinstance(out, Html)
    assert join(["<x>", Html("<y>")], ", ") == "&lt;x&gt;, <y>"
    assert render("{n:,}", n=1234567) == "1,234,567"


def test_states_are_shown_in_words_not_only_colour() -> None:
    badge = state_badge(BatchState.EXPIRED)
    assert "state-expired" in badge and "Expired</span>" in badge and 'title="BATCH_STATE_EXPIRED"' in badge


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.25, "250 ms"), (12.5, "12.5 s"), (200, "3 min 20 s"), (7194, "2 h"), (7500, "2 h 5 min"), (183600, "2 d 3 h")],
)
def test_durations_read_well(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_sizes_and_urls() -> None:
    assert [size(n) for n in (512, 1536, 20 * 1024**2, 3 * 1024**3)] == ["512 B", "1.5 KiB", "20 MiB", "3 GiB"]
    assert url("/x", a="1 2", b=None, c="") == "/x?a=1+2"


def test_a_filter_takes_a_state_in_any_spelling_and_hashes_a_key() -> None:
    assert BatchFilter.parse("running", None, None).state is BatchState.RUNNING
    assert BatchFilter.parse("JOB_STATE_FAILED", None, None).state is BatchState.FAILED
    assert BatchFilter.parse("nonsense", None, None).state is None
    assert BatchFilter.parse(None, "my-key", "ignored").tenant == tenant_for_key("my-key")
    assert BatchFilter.parse(None, None, "key-abc").tenant == "key-abc"


def test_the_head_of_a_text_file() -> None:
    assert head(b"a\nb\n") == (["a", "b"], False)
    assert head(b"".join(b"%d\n" % i for i in range(30))) == ([str(i) for i in range(20)], True)
    assert head("caf\u00e9".encode()[:4]) == (["caf\ufffd"], False)


def _source(tmp_path: Path, inputs: list[bytes], outputs: list[bytes], *, inline: bool = False) -> lines.Source:
    (tmp_path / "in").write_bytes(b"".join(line + b"\n" for line in inputs))
    data = b"".join(line + b"\n" for line in outputs)
    (tmp_path / "out").write_bytes(data + b'{"partial')  # bytes past the checkpoint are not read
    count = sum(1 for line in inputs if line.strip())
    return lines.Source(tmp_path / "in", tmp_path / "out", len(data), inline, count, terminal=False)


def test_lines_skip_blank_input_lines_and_stop_at_the_checkpoint(tmp_path: Path) -> None:
    inputs = [
        orjson.dumps({"key": "a", "request": {"contents": [{"parts": [{"text": "hello"}]}]}}),
        b"",
        b"not json",
        orjson.dumps({"key": "c", "request": {}}),
    ]
    outputs = [
        orjson.dumps({"key": "a", "response": {"candidates": [{"content": {"parts": [{"text": "hi there"}]}}]}}),
        orjson.dumps(
            {"error": {"code": 400, "message": "Request #2 is not valid JSON.", "status": "INVALID_ARGUMENT"}}
        ),
    ]
    page = lines.read_page(_source(tmp_path, inputs, outputs))
    assert [(p.index, p.key, p.outcome) for p in page.lines] == [
        (0, "a", "ok"),
        (1, None, "error"),
        (2, "c", "pending"),
    ]
    assert page.lines[0].prompt == "hello" and page.lines[0].answer == "hi there"
    assert page.lines[1].prompt == "(not valid JSON)" and page.lines[1].answer.startswith("INVALID_ARGUMENT:")
    assert (page.total, page.pages) == (3, 1)


def test_lines_are_found_by_key_and_paged(tmp_path: Path) -> None:
    inputs = [orjson.dumps({"key": f"k-{i}", "request": {}}) for i in range(30)]
    source = _source(tmp_path, inputs, [])
    found = lines.read_page(source, query="K-2", size=5, page=2)
    assert [p.key for p in found.lines] == ["k-24", "k-25", "k-26", "k-27", "k-28"]
    assert (found.total, found.pages, found.query) == (11, 3, "k-2")
    assert lines.read_page(source, page=7, size=5).lines == []  # past the end: an empty page


def test_inline_keys_come_from_metadata_and_embeddings_are_summarised(tmp_path: Path) -> None:
    inputs = [orjson.dumps({"request": {"content": {"parts": [{"text": "x"}]}}, "metadata": {"key": "m-1"}})]
    outputs = [orjson.dumps({"response": {"embedding": {"values": [0.1, 0.2, 0.3]}}, "metadata": {"key": "m-1"}})]
    (pair,) = lines.read_page(_source(tmp_path, inputs, outputs, inline=True)).lines
    assert (pair.key, pair.answer) == ("m-1", "embedding of 3 values")


def test_a_missing_output_blob_leaves_every_line_unanswered(tmp_path: Path) -> None:
    source = _source(tmp_path, [b'{"key": "a", "request": {}}'], [])
    (tmp_path / "out").unlink()
    gone = lines.Source(source.input_path, source.output_path, 100, False, 1, terminal=True)
    assert [p.outcome for p in lines.read_page(gone).lines] == ["none"]
