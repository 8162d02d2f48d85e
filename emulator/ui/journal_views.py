"""The request journal: every API call, newest first, filtered by operation, key and status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from emulator.ids import tenant_for_key
from emulator.observability.journal import JournalEntry
from emulator.ui.html import Html, join, render, segment, status_badge, table, url, when
from emulator.ui.layout import Page, Region, roots

if TYPE_CHECKING:
    from emulator.emulator import Emulator

JOURNAL_SHOWN = 200


async def requests_page(request: Request, emulator: Emulator) -> Page:
    base, _ = roots(request)
    q = request.query_params
    operation = q.get("operation") or None
    key = q.get("key") or None
    tenant = tenant_for_key(key) if key else (q.get("tenant") or None)
    try:
        status = int(q["status"]) if q.get("status") else None
    except ValueError:
        status = None

    async def journal() -> Region:
        entries = list(emulator.journal.entries(operation=operation, tenant=tenant, status=status))
        shown = entries[-JOURNAL_SHOWN:][::-1]
        if not shown:
            return Region(Html('<p class="empty">No requests yet.</p>'))
        more = f" (the newest {JOURNAL_SHOWN} of {len(entries):,})" if len(entries) > JOURNAL_SHOWN else ""
        return Region(
            render(
                '<p class="tally">{n} request{s}{more}, newest first</p>{rows}',
                n=f"{len(entries):,}",
                s="" if len(entries) == 1 else "s",
                more=more,
                rows=table("journal", _COLUMNS, join(_entry_row(e, base) for e in shown)),
            )
        )

    def body(regions: dict[str, Html]) -> Html:
        return render(
            _REQUESTS,
            base=base,
            operation=operation or "",
            key=key or "",
            status=q.get("status", ""),
            journal=regions["journal"],
        )

    return Page("Requests", "requests", body, {"journal": journal})


def _entry_row(entry: JournalEntry, base: str) -> Html:
    resource = Html("")
    if entry.resource and entry.resource.startswith("batches/"):
        resource = render(
            '<a class="mono" href="{href}">{name}</a>',
            href=f"{base}/batches/{segment(entry.resource.removeprefix('batches/'))}",
            name=entry.resource,
        )
    elif entry.resource and entry.resource.startswith("files/"):
        resource = render(
            '<a class="mono" href="{href}">{name}</a>',
            href=f"{base}/files/{segment(entry.tenant)}/{segment(entry.resource.removeprefix('files/'))}",
            name=entry.resource,
        )
    elif entry.resource:
        resource = render('<span class="mono">{name}</span>', name=entry.resource)
    return render(
        '<tr><td class="num">{seq}</td><td>{time}</td><td>{operation}</td><td>{status}</td>'
        '<td class="wide-only mono">{method} {path}</td><td>{resource}</td>'
        '<td class="wide-only mono key-cell"><a href="{key_href}">{tenant}</a></td><td class="num">{ms} ms</td>'
        "<td>{fault}</td></tr>",
        seq=entry.seq,
        time=when(entry.time_us),
        operation=entry.operation,
        status=status_badge(entry.status),
        method=entry.method,
        path=entry.path,
        resource=resource,
        key_href=url(base + "/requests", tenant=entry.tenant),
        tenant=entry.tenant,
        ms=f"{entry.duration_ms:g}",
        fault=render("<code>{id}</code>", id=entry.fault) if entry.fault else Html(""),
    )


_COLUMNS = (
    '<th scope="col">#</th><th scope="col">Time</th><th scope="col">Operation</th><th scope="col">Status</th>'
    '<th scope="col" class="wide-only">Request</th><th scope="col">Resource</th>'
    '<th scope="col" class="wide-only">API key</th><th scope="col">Took</th><th scope="col">Fault</th>'
)
_REQUESTS = """<form class="filters" method="get" action="{base}/requests" role="search" aria-label="Filter requests">
<label>Operation <input type="search" name="operation" value="{operation}" placeholder="e.g. batches.*"
spellcheck="false"></label>
<label>API key <input type="search" name="key" value="{key}" autocomplete="off" spellcheck="false"></label>
<label>Status <input type="search" name="status" value="{status}" inputmode="numeric" size="4"></label>
<button type="submit">Filter</button> <a href="{base}/requests">Clear filters</a>
<button type="button" class="danger" data-act="clear-requests" data-confirm="Empty the request journal?">
Clear journal</button></form>
{journal}"""
