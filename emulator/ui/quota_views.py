"""The quotas page: per API key, a bar per model and limit (enqueued tokens, requests and tokens per
minute, requests per day, batch creations), read through the control plane's service
(`emulator.control.quotas`, what `GET /_emulator/quotas` answers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from emulator.ui.html import Html, join, number, render, when
from emulator.ui.layout import Page, Region

if TYPE_CHECKING:
    from emulator.emulator import Emulator
    from emulator.quotas import ModelUsage, QuotaReport, Usage

LABELS = {
    "enqueued_tokens": "enqueued tokens",
    "rpm": "requests / minute",
    "tpm": "tokens / minute",
    "rpd": "requests / day",
    "batch_rpm": "batch creations / minute",
    "batch_rpd": "batch creations / day",
}


async def quotas_page(request: Request, emulator: Emulator) -> Page:
    async def usage() -> Region:
        report = await emulator.control.quotas()
        return Region(_report(report), active=bool(report.usage))

    def body(regions: dict[str, Html]) -> Html:
        return render(_QUOTAS, usage=regions["quota-usage"])

    return Page("Quotas", "quotas", body, {"quota-usage": usage})


def _report(report: QuotaReport) -> Html:
    tier = f"Tier {report.tier}" if report.tier not in (None, "free") else (report.tier or "no tier")
    limits = ", ".join(str(o) for o in report.overrides) or "none"
    facts = render(
        '<dl class="facts"><dt>Tier</dt><dd>{tier}</dd><dt>Limits set</dt><dd class="wrap mono">{limits}</dd></dl>',
        tier=tier,
        limits=limits,
    )
    if not report.enabled:
        off = Html('<p class="muted">Quotas are off: no tier and no limit (start with --tier or --quota).</p>')
        return join([facts, off])
    if not report.usage:
        return join([facts, Html('<p class="muted">Nothing counted yet.</p>')])
    return join([facts, *(_model(row) for row in report.usage)])


def _model(row: ModelUsage) -> Html:
    bars = join(_bar(u) for u in row.usage if u.limit is not None or u.used)
    return render(
        '<section class="quota"><h3><span class="mono">{model}</span> <span class="muted">{tenant}</span></h3>'
        '<ul class="quota-bars">{bars}</ul></section>',
        model=row.model,
        tenant=row.tenant,
        bars=bars or Html('<li class="muted">No limit applies.</li>'),
    )


def _bar(usage: Usage) -> Html:
    label = LABELS[usage.metric.value]
    if usage.limit is None:
        return render(
            '<li><span class="progress-text">{used} {label} (no limit)</span></li>',
            used=number(usage.used),
            label=label,
        )
    state = "failed" if usage.used >= usage.limit else "running"
    percent = min(100, round(100 * usage.used / usage.limit)) if usage.limit else 100
    resets = render(" \u00b7 resets {at}", at=when(usage.resets_us)) if usage.resets_us is not None else Html("")
    return render(
        '<li><div class="progress"><progress class="bar state-{state}" max="100" value="{percent}" '
        'aria-label="{label}: {percent}%">{percent}%</progress>'
        '<span class="progress-text">{used} / {limit} {label}{resets}</span></div></li>',
        state=state,
        percent=percent,
        label=label,
        used=number(usage.used),
        limit=number(usage.limit),
        resets=resets,
    )


_QUOTAS = """<section class="panel" aria-labelledby="quotas-h"><h2 id="quotas-h">Quotas</h2>
{usage}
<p class="hint">Per API key and model, as the real service counts them per project: enqueued tokens of the
batches not yet finished, and the per-minute and per-day windows on the emulated clock (docs/quotas.md).
Change them with <code>POST /_emulator/quotas</code>.</p>
</section>"""
