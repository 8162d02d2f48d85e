"""One batch's page: its status, actions, timeline, its requests beside their results, its API calls."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request

from emulator.batches.models import Batch, BatchKind, BatchState
from emulator.ui import lines as line_viewer
from emulator.ui import queries
from emulator.ui.batch_views import NONE, actions, display, progress_bar
from emulator.ui.html import (
    Html,
    join,
    number,
    outcome_badge,
    render,
    segment,
    state_badge,
    state_label,
    status_badge,
    table,
    url,
    when,
)
from emulator.ui.layout import Page, Region, RegionFn, missing, roots

if TYPE_CHECKING:
    from emulator.emulator import Emulator


async def batch_page(request: Request, emulator: Emulator) -> Page:
    base, _ = roots(request)
    batch_id = request.path_params["batch_id"]
    batch = await queries.find_batch(emulator.store, batch_id)
    if batch is None:
        return _missing(batch_id, base)
    q = request.query_params
    query = q.get("q") or None
    try:
        page_no = int(q.get("page", "1"))
    except ValueError:
        page_no = 1

    async def current() -> Batch | None:
        return await queries.find_batch(emulator.store, batch_id)

    async def summary() -> Region:
        found = await current()
        if found is None:
            return Region(render('<p class="empty">This batch no longer exists.</p>'))
        return Region(_summary(found, base), active=not found.finalized)

    async def timeline() -> Region:
        found = await current()
        if found is None:
            return Region(Html(""))
        events = queries.timeline(found, emulator.settings.batch_expiry)
        return Region(_timeline(events), active=not found.finalized)

    async def lines() -> Region:
        found = await current()
        if found is None:
            return Region(Html(""))
        source = line_viewer.Source.of(found, emulator.blobs)
        page = await asyncio.to_thread(line_viewer.read_page, source, page=page_no, query=query)
        return Region(_lines(page, f"{base}/batches/{segment(found.id)}"), active=not found.finalized)

    async def calls() -> Region:
        entries = list(emulator.journal.entries(tenant=batch.tenant))
        mine = [e for e in entries if e.resource == batch.name][-15:]
        rows = join(
            render(
                "<tr><td>{time}</td><td>{operation}</td><td>{status}</td><td>{ms} ms</td></tr>",
                time=when(e.time_us),
                operation=e.operation,
                status=status_badge(e.status),
                ms=f"{e.duration_ms:g}",
            )
            for e in reversed(mine)
        )
        if not mine:
            return Region(Html('<p class="muted">No API calls on this batch yet.</p>'))
        return Region(
            render(
                '<table class="compact"><thead><tr><th scope="col">Time</th><th scope="col">Operation</th>'
                '<th scope="col">Status</th><th scope="col">Took</th></tr></thead><tbody>{rows}</tbody></table>',
                rows=rows,
            )
        )

    def body(regions: dict[str, Html]) -> Html:
        forced = join(
            render('<option value="{value}">{label}</option>', value=str(s), label=state_label(s))
            for s in BatchState
            if s is not BatchState.PENDING
        )
        return render(
            _BATCH,
            summary=regions["summary"],
            timeline=regions["timeline"],
            lines=regions["lines"],
            calls=regions["calls"],
            actions=actions(batch, base, row=False),
            id=batch.id,
            forced=forced,
            q=query or "",
            clear=render('<a href="{href}">Show all</a>', href=f"{base}/batches/{segment(batch.id)}")
            if query
            else Html(""),
        )

    title = batch.display_name or batch.name
    regions: dict[str, RegionFn] = {"summary": summary, "timeline": timeline, "lines": lines, "calls": calls}
    return Page(title, "batches", body, regions)


_BATCH = """<div class="split">
<section class="panel" aria-label="Status">{summary}</section>
<div>
<section class="panel" aria-labelledby="actions-h"><h2 id="actions-h">Actions</h2>
<div class="row">{actions}
<form class="inline" data-act="force" data-batch="{id}"><label>Force to <select name="state">{forced}</select></label>
<button type="submit">Force state</button></form></div>
<p class="hint">Forcing is the control plane's override: Succeeded answers every remaining request first.</p>
</section>
<section class="panel" aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>{timeline}</section>
</div>
</div>
<section class="panel" aria-labelledby="lines-h"><h2 id="lines-h">Requests and results</h2>
<form class="filters" method="get" role="search" aria-label="Find a request by key">
<label>Find by key <input type="search" name="q" value="{q}" autocomplete="off" spellcheck="false"></label>
<button type="submit">Find</button> {clear}</form>
{lines}</section>
<section class="panel" aria-labelledby="calls-h"><h2 id="calls-h">API calls on this batch</h2>{calls}</section>"""


def _missing(batch_id: str, base: str) -> Page:
    message = render(
        'There is no batch <code>batches/{id}</code> (under any API key). <a href="{base}/">Back to the batches</a>',
        id=batch_id,
        base=base,
    )
    return missing("Batch not found", "batches", message)


def _summary(batch: Batch, base: str) -> Html:
    def file_link(name: str | None, fallback: str) -> Html:
        if name is None:
            return render('<span class="muted">{text}</span>', text=fallback)
        file_id = name.removeprefix("files/")
        return render(
            '<a href="{href}" class="mono">{name}</a>',
            href=f"{base}/files/{segment(batch.tenant)}/{segment(file_id)}",
            name=name,
        )

    if batch.inline:
        results = render("inline, in the batch" if batch.finalized and batch.lines_done else "\u2013")
    else:
        results = file_link(batch.output_file, "not written yet" if not batch.finalized else "none")
    error = NONE
    if batch.error:
        error = render(
            '<span class="error-text">{status}: {message}</span>',
            status=batch.error.get("status", ""),
            message=batch.error.get("message", ""),
        )
    pending = batch.pending_count
    return render(
        _SUMMARY,
        badge=state_badge(batch.state),
        progress=progress_bar(batch),
        name=batch.name,
        display=display(batch),
        model=batch.model,
        kind="embedContent" if batch.kind is BatchKind.EMBED else "generateContent",
        tenant=batch.tenant,
        input=file_link(batch.input_file, "inline requests"),
        results=results,
        count=number(batch.request_count),
        ok=number(batch.success_count),
        failed=number(batch.failure_count),
        pending=number(pending),
        created=when(batch.create_us),
        started=when(batch.start_us),
        ended=when(batch.end_us),
        updated=when(batch.update_us),
        error=error,
    )


_SUMMARY = """<div class="status-line">{badge} {progress}</div>
<dl class="facts">
<dt>Name</dt><dd class="mono">{name}</dd>
<dt>Display name</dt><dd>{display}</dd>
<dt>Model</dt><dd>{model} <span class="muted">({kind})</span></dd>
<dt>API key</dt><dd class="mono">{tenant}</dd>
<dt>Input</dt><dd>{input}</dd>
<dt>Results</dt><dd>{results}</dd>
<dt>Requests</dt><dd>{count}: {ok} succeeded, {failed} failed, {pending} pending</dd>
<dt>Created</dt><dd>{created}</dd>
<dt>Started</dt><dd>{started}</dd>
<dt>Ended</dt><dd>{ended}</dd>
<dt>Updated</dt><dd>{updated}</dd>
<dt>Error</dt><dd>{error}</dd>
</dl>"""


def _timeline(events: list[queries.Event]) -> Html:
    items = join(
        render(
            '<li class="event state-{state}{scheduled}"><strong>{label}</strong> {when}{note}{detail}</li>',
            state=state_label(e.state).lower(),
            scheduled=" scheduled" if e.scheduled else "",
            label=e.label,
            when=when(e.at_us),
            note=Html(' <span class="muted">(scheduled)</span>') if e.scheduled else Html(""),
            detail=render(' <span class="detail">\u2014 {text}</span>', text=e.detail) if e.detail else Html(""),
        )
        for e in events
    )
    return render('<ol class="timeline">{items}</ol>', items=items)


def _pretty(text: str | None) -> str:
    if text is None:
        return ""
    try:
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return text


def _lines(page: line_viewer.LinePage, here: str) -> Html:
    if page.query is not None:
        plural = "s" if page.total != 1 else ""
        heading = f"{number(page.total)} request{plural} with a key containing \u201c{page.query}\u201d."
    elif page.total:
        first = (page.page - 1) * line_viewer.PAGE_SIZE + 1
        last = min(first + line_viewer.PAGE_SIZE - 1, page.total)
        heading = f"Requests {number(first)}\u2013{number(last)} of {number(page.total)}."
    else:
        heading = "No requests."
    rows = Html("")
    if page.lines:
        rows = table(
            "lines",
            '<th scope="col">#</th><th scope="col">Key</th><th scope="col">Request</th><th scope="col">Result</th>',
            join(_line_row(pair) for pair in page.lines),
        )
    elif page.query is not None:
        rows = Html('<p class="empty">No request has a key like that.</p>')
    return render('<p class="tally">{heading}</p>{rows}{pager}', heading=heading, rows=rows, pager=_pager(page, here))


def _line_row(pair: line_viewer.LinePair) -> Html:
    result = Html("")
    if pair.result is not None:
        result = render(
            '<details id="res-{i}"><summary>{answer}</summary><pre>{json}</pre></details>',
            i=pair.index,
            answer=pair.answer or "(response)",
            json=_pretty(pair.result),
        )
    return render(
        '<tr id="line-{i}" data-key="{key}"><td class="num">{n}</td><td class="mono key">{key_shown}</td>'
        '<td><details id="req-{i}"><summary>{prompt}</summary><pre>{request}</pre></details></td>'
        "<td>{outcome} {result}</td></tr>",
        i=pair.index,
        n=number(pair.index + 1),
        key=pair.key or "",
        key_shown=pair.key if pair.key is not None else NONE,
        prompt=pair.prompt or "(request)",
        request=_pretty(pair.request),
        outcome=outcome_badge(pair.outcome),
        result=result,
    )


def _pager(page: line_viewer.LinePage, here: str) -> Html:
    if page.pages <= 1:
        return Html("")

    def link(n: int, label: str, rel: str) -> Html:
        if n < 1 or n > page.pages:
            return render('<span class="muted" aria-disabled="true">{label}</span>', label=label)
        return render(
            '<a href="{href}" rel="{rel}">{label}</a>', href=url(here, page=n, q=page.query), rel=rel, label=label
        )

    return render(
        '<nav class="pager" aria-label="Pages of requests">{prev} <span>Page {n} of {total}</span> {next}</nav>',
        prev=link(page.page - 1, "\u2039 Previous", "prev"),
        n=number(page.page),
        total=number(page.pages),
        next=link(page.page + 1, "Next \u203a", "next"),
    )
