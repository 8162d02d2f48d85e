"""The batches page, the page that starts a batch from a JSONL upload, and what batch pages share."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request

from emulator.batches.models import Batch, BatchState
from emulator.ui import queries
from emulator.ui.html import (
    Html,
    join,
    number,
    render,
    segment,
    state_badge,
    state_label,
    table,
    url,
    when,
)
from emulator.ui.layout import Page, Region, roots

if TYPE_CHECKING:
    from emulator.emulator import Emulator

NONE = Html('<span class="muted">\u2013</span>')


def display(batch: Batch) -> Html:
    if batch.display_name:
        return render("{name}", name=batch.display_name)
    return Html('<span class="muted">(no display name)</span>')


def progress_bar(batch: Batch) -> Html:
    done, percent = queries.progress(batch)
    return render(
        '<div class="progress"><progress class="bar state-{state}" max="100" value="{percent}" '
        'aria-label="Progress: {percent}%">{percent}%</progress>'
        '<span class="progress-text">{done} / {total} \u00b7 {percent}%</span>'
        '<span class="counts"><span class="ok" title="succeeded">\u2713 {ok}</span> '
        '<span class="err" title="failed">\u2715 {failed}</span></span></div>',
        state=state_label(batch.state).lower(),
        percent=percent,
        done=number(done),
        total=number(batch.request_count),
        ok=number(batch.success_count),
        failed=number(batch.failure_count),
    )


def actions(batch: Batch, base: str, *, row: bool) -> Html:
    name = batch.display_name or batch.name
    cancel = render(
        '<button type="button" class="small" data-act="cancel" data-batch="{id}" id="cancel-{id}"'
        ' aria-label="Cancel {name}">Cancel</button>',
        id=batch.id,
        name=name,
    )
    delete = render(
        '<button type="button" class="small danger" data-act="delete" data-batch="{id}" id="delete-{id}"'
        ' aria-label="Delete {name}" data-confirm="Delete {name}? Its results go too."{then}>Delete</button>',
        id=batch.id,
        name=name,
        then=Html("") if row else render(' data-then="{href}"', href=base + "/"),
    )
    return join([cancel, delete] if not batch.state.terminal else [delete], " ")


# --- the batches page ------------------------------------------------------------------------------

_STATE_OPTIONS = [("", "Any state"), *((str(s).removeprefix("BATCH_STATE_"), state_label(s)) for s in BatchState)]


async def batches_page(request: Request, emulator: Emulator) -> Page:
    base, _ = roots(request)
    q = request.query_params
    which = queries.BatchFilter.parse(q.get("state"), q.get("key"), q.get("tenant"))

    async def listing() -> Region:
        batches, total = await queries.list_batches(emulator.store, which)
        return Region(_batch_table(batches, total, which, base), active=any(not b.finalized for b in batches))

    def body(regions: dict[str, Html]) -> Html:
        options = join(
            render(
                '<option value="{value}"{selected}>{label}</option>',
                value=value,
                label=label,
                selected=Html(" selected") if which.state is not None and value == which.state.name else Html(""),
            )
            for value, label in _STATE_OPTIONS
        )
        only = Html("")
        if q.get("tenant") and not q.get("key"):
            only = render(
                '<input type="hidden" name="tenant" value="{tenant}"><p class="note">Showing API key '
                '<code>{tenant}</code> only. <a href="{all}">Show every key</a></p>',
                tenant=q.get("tenant"),
                all=url(base + "/", state=q.get("state")),
            )
        return render(
            _BATCHES,
            base=base,
            options=options,
            key=q.get("key", ""),
            only=only,
            table=regions["batches"],
        )

    return Page("Batches", "batches", body, {"batches": listing})


_BATCHES = """<form class="filters" method="get" action="{base}/" role="search" aria-label="Filter batches">
<label>State <select name="state">{options}</select></label>
<label>API key <input type="search" name="key" value="{key}" autocomplete="off" spellcheck="false"
placeholder="the key your client uses"></label>
<button type="submit">Filter</button> <a href="{base}/">Clear filters</a>
{only}
</form>
{table}"""


def _batch_table(batches: list[Batch], total: int, which: queries.BatchFilter, base: str) -> Html:
    if not batches:
        hint = "No batch matches these filters." if which.state or which.tenant else "No batches yet."
        return render(
            '<p class="empty">{hint} Create one with the SDK (<code>client.batches.create(...)</code>) or '
            '<a href="{base}/new">start one from a JSONL file</a>.</p>',
            hint=hint,
            base=base,
        )
    states = collections.Counter(b.state for b in batches)
    summary = join(
        render('<span class="tally-item">{badge} {n}</span>', badge=state_badge(s), n=number(states[s]))
        for s in BatchState
        if states[s]
    )
    shown = f"Showing the newest {len(batches)} of {number(total)}." if total > len(batches) else ""
    rows = table("batches", _COLUMNS, join(_batch_row(b, base) for b in batches), caption="Batches, newest first")
    return render(
        '<p class="tally">{count} \u00b7 {summary} {shown}</p>{rows}',
        count=f"{number(total)} batch{'es' if total != 1 else ''}",
        summary=summary,
        shown=shown,
        rows=rows,
    )


_COLUMNS = (
    '<th scope="col">Batch</th><th scope="col">State</th><th scope="col">Progress</th>'
    '<th scope="col" class="wide-only">Model</th><th scope="col" class="wide-only">API key</th>'
    '<th scope="col" class="wide-only">Created</th><th scope="col">Ended</th>'
    '<th scope="col"><span class="sr-only">Actions</span></th>'
)


def _batch_row(batch: Batch, base: str) -> Html:
    return render(
        '<tr data-batch="{id}" data-state="{state}"><th scope="row" class="name"><a href="{href}" id="open-{id}">'
        '{display}</a><span class="sub mono">{name}</span></th><td>{badge}</td>'
        '<td class="cell-progress">{progress}</td>'
        '<td class="wide-only model">{model}</td><td class="wide-only mono key-cell"><a href="{key_href}" '
        'title="Show this key only (a fingerprint of the API key)">{tenant}</a></td>'
        '<td class="wide-only">{created}</td><td class="cell-ended">{ended}</td>'
        '<td class="actions">{actions}</td></tr>',
        id=batch.id,
        state=str(batch.state),
        href=f"{base}/batches/{segment(batch.id)}",
        display=display(batch),
        name=batch.name,
        badge=state_badge(batch.state),
        progress=progress_bar(batch),
        model=batch.model.removeprefix("models/"),
        key_href=url(base + "/", tenant=batch.tenant),
        tenant=batch.tenant,
        created=when(batch.create_us),
        ended=when(batch.end_us),
        actions=actions(batch, base, row=True),
    )


# --- starting a batch from the dashboard ------------------------------------------------------------

EXAMPLE_JSONL = "\n".join(
    orjson.dumps({"key": f"request-{i + 1}", "request": {"contents": [{"parts": [{"text": text}]}]}}).decode()
    for i, text in enumerate(["Explain photosynthesis.", "Why do tides happen?", "Describe a volcano."])
)


async def new_batch_page(request: Request, emulator: Emulator) -> Page:
    def body(regions: dict[str, Html]) -> Html:
        return render(_NEW, example=EXAMPLE_JSONL)

    return Page("New batch", "new", body)


_NEW = """<form class="panel stack" id="new-batch" data-act="create">
<p>Start a batch without writing code: upload a JSONL file of requests (one
<code>{{"key": ..., "request": {{...}}}}</code> per line), or edit the example below. It runs exactly like a
batch created through the SDK.</p>
<label>API key <input name="key" autocomplete="off" spellcheck="false" placeholder="none: the anonymous key">
<span class="hint">Use the key your SDK client uses to see the batch from it.</span></label>
<label>Model <input name="model" value="gemini-2.5-flash" required></label>
<fieldset><legend>Kind</legend>
<label class="choice"><input type="radio" name="kind" value="generate" checked> generateContent</label>
<label class="choice"><input type="radio" name="kind" value="embed"> embedContent (an embedding model, e.g.
gemini-embedding-001)</label></fieldset>
<label>Display name <input name="displayName" autocomplete="off"></label>
<label>JSONL file <input type="file" name="file" accept=".jsonl,.ndjson,.json,.txt"></label>
<label>\u2026or the requests themselves (used when no file is chosen)
<textarea name="jsonl" rows="8" spellcheck="false">{example}</textarea></label>
<div><button type="submit" class="primary">Upload and start batch</button></div>
</form>"""
