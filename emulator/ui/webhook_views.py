"""Webhook deliveries: every event sent (or still to send), newest first, with its retry timeline,
filtered by API key, event type, batch and state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from emulator.ids import tenant_for_key
from emulator.ui.html import Html, join, render, segment, status_badge, when
from emulator.ui.layout import Page, Region, roots
from emulator.webhooks.models import Attempt, Delivery

if TYPE_CHECKING:
    from emulator.emulator import Emulator

SHOWN = 100
_FILTERS = {"eventType": "event_type", "state": "state", "mode": "mode"}


async def webhooks_page(request: Request, emulator: Emulator) -> Page:
    base, _ = roots(request)
    q = request.query_params
    filters = {column: q[name] for name, column in _FILTERS.items() if q.get(name)}
    key = q.get("key") or None
    if key:
        filters["tenant"] = tenant_for_key(key)
    elif q.get("tenant"):
        filters["tenant"] = q["tenant"]
    if q.get("batch"):
        filters["subject"] = "batches/" + q["batch"].removeprefix("batches/")

    async def deliveries() -> Region:
        found = await emulator.webhooks.deliveries(filters, SHOWN)
        if not found:
            return Region(Html('<p class="empty">No webhook deliveries yet.</p>'))
        pending = any(d.state == "pending" for d, _ in found)
        return Region(
            render(
                '<p class="tally">{n} deliver{ies}, newest first</p><div class="table-wrap">'
                '<table class="journal"><thead><tr><th scope="col">Event</th><th scope="col">Batch</th>'
                '<th scope="col">Target</th><th scope="col">State</th><th scope="col">Attempts</th>'
                '<th scope="col" class="wide-only">webhook-id</th></tr></thead><tbody>{rows}</tbody></table></div>',
                n=len(found),
                ies="y" if len(found) == 1 else "ies",
                rows=join(_row(d, a, base) for d, a in found),
            ),
            active=pending,
        )

    def body(regions: dict[str, Html]) -> Html:
        return render(
            _FORM,
            base=base,
            key=key or "",
            event=q.get("eventType", ""),
            batch=q.get("batch", ""),
            state=q.get("state", ""),
            deliveries=regions["deliveries"],
        )

    return Page("Webhooks", "webhooks", body, {"deliveries": deliveries})


def _row(delivery: Delivery, attempts: list[Attempt], base: str) -> Html:
    subject = delivery.subject
    link = (
        render('<a class="mono" href="{href}">{name}</a>', href=f"{base}/batches/{segment(subject[8:])}", name=subject)
        if subject.startswith("batches/")
        else render('<span class="mono">{name}</span>', name=subject)
    )
    timeline = join(
        render(
            '<li>#{n} due {due}, sent {sent}: {status}{error}{faults} <span class="num">{ms} ms</span></li>',
            n=a.n,
            due=when(a.scheduled_us),
            sent=when(a.sent_us),
            status=status_badge(a.status) if a.status is not None else Html("no answer"),
            error=render(" <span>{e}</span>", e=a.error) if a.error else Html(""),
            faults=render(" <code>{f}</code>", f=", ".join(a.faults)) if a.faults else Html(""),
            ms=f"{a.latency_ms:.1f}",
        )
        for a in attempts
    )
    upcoming = render("<li>next attempt due {due}</li>", due=when(delivery.next_us)) if delivery.next_us else Html("")
    return render(
        '<tr><td>{event}</td><td>{subject}</td><td class="mono">{mode}: {url}</td>'
        '<td><span class="badge">{state}</span></td><td><ol class="timeline">{timeline}{upcoming}</ol></td>'
        '<td class="wide-only mono">{id}</td></tr>',
        event=delivery.event_type,
        subject=link,
        mode=str(delivery.mode),
        url=delivery.url,
        state=str(delivery.state),
        timeline=timeline,
        upcoming=upcoming,
        id=delivery.id,
    )


_FORM = """<form class="filters" method="get" action="{base}/webhooks" role="search" aria-label="Filter deliveries">
<label>API key <input type="search" name="key" value="{key}" autocomplete="off" spellcheck="false"></label>
<label>Event <input type="search" name="eventType" value="{event}" placeholder="e.g. batch.succeeded"
spellcheck="false"></label>
<label>Batch <input type="search" name="batch" value="{batch}" spellcheck="false"></label>
<label>State <input type="search" name="state" value="{state}" placeholder="pending, delivered, failed"
size="10"></label>
<button type="submit">Filter</button> <a href="{base}/webhooks">Clear filters</a></form>
{deliveries}"""
