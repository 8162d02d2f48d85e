"""The clock, and the fault rules and configuration.

These pages read through the control plane's service (`emulator.control`); their forms call the
control plane's own endpoints (`/_emulator/clock:advance`, `/_emulator/faults`, ...), the same ones
tests use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

from emulator.clock import MICROS
from emulator.ui.html import Html, duration, join, render, segment, size, when
from emulator.ui.layout import Page, Region

if TYPE_CHECKING:
    from emulator.emulator import Emulator

# --- the clock -------------------------------------------------------------------------------------


async def clock_page(request: Request, emulator: Emulator) -> Page:
    async def state() -> Region:
        shared = await emulator.control.clock_view()
        own = await emulator.control.own_clocks()
        rows = join(
            render(
                '<tr><th scope="row" class="mono">{tenant}</th><td>{now}</td><td>{mode}</td><td>{ahead}</td></tr>',
                tenant=clock.tenant,
                now=when(clock.now_us),
                mode=clock.mode,
                ahead=duration(abs(clock.now_us - shared.now_us) / MICROS)
                + (" behind" if clock.now_us < shared.now_us else " ahead"),
            )
            for clock in own
        )
        per_key = Html('<p class="muted">No API key has a clock of its own.</p>')
        if own:
            per_key = render(
                '<table class="compact"><caption>API keys with a clock of their own</caption><thead><tr>'
                '<th scope="col">API key</th><th scope="col">Now</th><th scope="col">Mode</th>'
                '<th scope="col">Against the shared clock</th></tr></thead><tbody>{rows}</tbody></table>',
                rows=rows,
            )
        mode = {
            "manual": "manual: time moves only when you advance it",
            "real": "real: wall-clock time",
            "scaled": f"scaled: {shared.scale:g} emulated seconds per real second",
        }[shared.mode]
        html = render(
            '<dl class="facts"><dt>Now</dt><dd class="big">{now}</dd><dt>Mode</dt><dd>{mode}</dd></dl>{per_key}',
            now=when(shared.now_us),
            mode=mode,
            per_key=per_key,
        )
        return Region(html, active=shared.mode != "manual")

    def body(regions: dict[str, Html]) -> Html:
        return render(_CLOCK, state=regions["clock-state"])

    return Page("Clock", "clock", body, {"clock-state": state})


_CLOCK = """{state}
<section class="panel" aria-labelledby="advance-h"><h2 id="advance-h">Advance the clock</h2>
<p>Batches due by the new time have got there when the clock has moved: a 24-hour job finishes at once.</p>
<div class="row quick">
<button type="button" data-act="advance" data-seconds="60">+1 minute</button>
<button type="button" data-act="advance" data-seconds="3600">+1 hour</button>
<button type="button" data-act="advance" data-seconds="86400">+1 day</button>
<button type="button" data-act="advance" data-seconds="172800">+2 days (batches expire)</button>
</div>
<form class="inline" data-act="advance" id="advance-form">
<label>By <input type="number" name="amount" min="0" step="any" value="1" required></label>
<label><span class="sr-only">Unit</span><select name="unit"><option value="seconds">seconds</option>
<option value="minutes">minutes</option><option value="hours" selected>hours</option>
<option value="days">days</option></select></label>
<label>API key <input name="apiKey" autocomplete="off" spellcheck="false" placeholder="every key"></label>
<button type="submit">Advance</button></form>
</section>
<section class="panel" aria-labelledby="set-h"><h2 id="set-h">Jump to a time</h2>
<form class="inline" data-act="set-time">
<label>Time (RFC 3339) <input name="time" required placeholder="2026-01-01T00:00:00Z" spellcheck="false"></label>
<label>API key <input name="apiKey" autocomplete="off" spellcheck="false" placeholder="every key"></label>
<button type="submit">Set time</button></form>
</section>"""


# --- faults and configuration ----------------------------------------------------------------------

_EXAMPLES = {
    "http": '{"operation": "batches.get", "status": 503, "first_n": 2}',
    "job": '{"outcome": "FAILED", "at": 0.5, "next_n": 1}',
    "line": '{"key": "request-2*", "status": "INTERNAL"}',
}


async def faults_page(request: Request, emulator: Emulator) -> Page:
    async def rules() -> Region:
        wire = (await emulator.control.fault_rules()).to_wire()
        sections = []
        for kind, title in (("http", "HTTP"), ("job", "Job"), ("line", "Line")):
            items = join(_rule_item(kind, rule) for rule in wire[kind])
            sections.append(
                render(
                    "<h3>{title} rules</h3>{list}",
                    title=title,
                    list=render('<ul class="rules">{items}</ul>', items=items)
                    if wire[kind]
                    else Html('<p class="muted">None.</p>'),
                )
            )
        return Region(join(sections))

    async def config() -> Region:
        return Region(_config(await emulator.control.effective_config()))

    def body(regions: dict[str, Html]) -> Html:
        s = emulator.settings
        return render(
            _FAULTS,
            rules=regions["rules"],
            config=regions["config"],
            example=_EXAMPLES["http"],
            examples=orjson.dumps(_EXAMPLES).decode(),
            queue=str(s.queue_delay),
            latency=str(s.request_latency),
            overhead=str(s.batch_overhead),
            rate=f"{s.request_error_rate:g}",
        )

    return Page("Faults & config", "faults", body, {"rules": rules, "config": config})


def _rule_item(kind: str, rule: dict[str, Any]) -> Html:
    rule_id = str(rule.get("id", ""))
    shown = {k: v for k, v in rule.items() if k != "id"}
    return render(
        '<li><code class="rule-id">{id}</code> <code class="rule">{rule}</code> '
        '<button type="button" class="small" data-act="remove-fault" data-rule="{id}" id="remove-{kind}-{slug}"'
        ' aria-label="Remove rule {id}">Remove</button></li>',
        id=rule_id,
        kind=kind,
        slug=segment(rule_id),
        rule=orjson.dumps(shown).decode(),
    )


def _config(config: dict[str, Any]) -> Html:
    latency, limits, clock = config["latency"], config["limits"], config["clock"]
    return render(
        _CONFIG,
        version=config["version"],
        seed=config["seed"],
        where=config["dataDir"] or "ephemeral (a temporary directory)",
        clock=f"{clock['mode']} (scale {clock['timeScale']:g})",
        queue=latency["queueDelay"],
        latency=latency["requestLatency"],
        overhead=latency["batchOverhead"],
        http=f"{latency['http']:g}",
        rate=f"{config['requestErrorRate']:g}",
        responder=config["responder"],
        limits=", ".join(f"{name} {_limit(name, value)}" for name, value in limits.items()),
    )


def _limit(name: str, value: Any) -> str:
    if value is None:
        return "none"
    if name.endswith("Bytes") and isinstance(value, int):
        return size(value)
    if name in ("fileRetention", "batchExpiry") and isinstance(value, int | float):
        return duration(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


_CONFIG = """<dl class="facts">
<dt>Version</dt><dd>{version}</dd><dt>Seed</dt><dd>{seed}</dd><dt>Data</dt><dd class="mono">{where}</dd>
<dt>Clock</dt><dd>{clock}</dd>
<dt>Queue delay</dt><dd>{queue} s</dd><dt>Request latency</dt><dd>{latency} s</dd>
<dt>Batch overhead</dt><dd>{overhead} s</dd><dt>HTTP latency</dt><dd>{http} s</dd>
<dt>Request error rate</dt><dd>{rate}</dd><dt>Responder</dt><dd>{responder}</dd>
<dt>Limits</dt><dd class="wrap">{limits}</dd></dl>"""

_FAULTS = """<section class="panel" aria-labelledby="rules-h"><h2 id="rules-h">Active fault rules</h2>
{rules}
<div class="row spaced"><button type="button" class="danger" data-act="clear-faults"
data-confirm="Remove every fault rule added at run time?">Clear rules</button></div>
<p class="hint">Clearing goes back to the rules the emulator was started with (its scenario).</p>
</section>
<section class="panel" aria-labelledby="add-h"><h2 id="add-h">Add a fault rule</h2>
<form class="stack" data-act="add-fault" data-examples="{examples}">
<label>Kind <select name="kind"><option value="http">http: answer API calls with an error, slowly, or not at all
</option><option value="job">job: end a batch FAILED, EXPIRED, CANCELLED, or hang</option>
<option value="line">line: answer some requests of a batch with an error</option></select></label>
<label>Rule (JSON) <textarea name="rule" rows="3" spellcheck="false" required>{example}</textarea></label>
<label>API key <input name="apiKey" autocomplete="off" spellcheck="false" placeholder="every key"></label>
<div><button type="submit">Add rule</button></div></form>
<p class="hint">The rule format is in docs/faults.md.</p>
</section>
<section class="panel" aria-labelledby="config-h"><h2 id="config-h">Configuration</h2>
{config}
<form class="inline" data-act="configure">
<label>Queue delay (s) <input name="queue_delay" value="{queue}" size="8" spellcheck="false"></label>
<label>Request latency (s) <input name="request_latency" value="{latency}" size="8" spellcheck="false"></label>
<label>Batch overhead (s) <input name="batch_overhead" value="{overhead}" size="8" spellcheck="false"></label>
<label>Request error rate <input name="request_error_rate" value="{rate}" size="5" spellcheck="false"></label>
<button type="submit">Apply to new batches</button></form>
</section>
<section class="panel" aria-labelledby="reset-h"><h2 id="reset-h">Reset</h2>
<form class="inline" data-act="reset" data-confirm="Forget these files, batches, rules and requests?">
<label>API key <input name="apiKey" autocomplete="off" spellcheck="false" placeholder="every key"></label>
<button type="submit" class="danger">Reset</button></form>
<p class="hint">Without a key: every file, batch, fault rule and journal entry goes, and the clock goes back to
its start.</p>
</section>"""
