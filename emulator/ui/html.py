"""HTML with escaping by default: every value put into a template is escaped unless it is `Html`.

    render('<td title="{name}">{name}</td>', name=batch.display_name)   # escaped, attribute-safe

Templates are constants written in this package; only the values come from users. There is no
other way to build markup here, so a display name such as `<img src=x onerror=...>` always ends
up as text. Attributes are always double-quoted and `html.escape(quote=True)` escapes both quotes.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from emulator.batches.models import BatchState
from emulator.clock import rfc3339


class Html(str):
    """Markup that is safe as it is: rendered by `render`, never escaped again."""

    __slots__ = ()


def escape(value: object) -> Html:
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


class _Escaping(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Html):
            return value
        return html.escape(format(value, format_spec), quote=True)


_FORMATTER = _Escaping()


def render(template: str, /, **values: object) -> Html:
    """`template` (a constant) with `{name}` fields filled in, each escaped unless it is `Html`."""
    return Html(_FORMATTER.vformat(template, (), values))


def join(parts: Iterable[Html], separator: str = "") -> Html:
    return Html(separator.join(escape(part) for part in parts))


def table(name: str, head: str, rows: Html, *, caption: str = "") -> Html:
    """A table of class `name` that scrolls sideways on a narrow screen: the header cells `head`
    (constant markup), then `rows`; `caption`, when given, for screen readers only."""
    return render(
        '<div class="table-wrap"><table class="{name}">{caption}<thead><tr>{head}</tr></thead>'
        "<tbody>{rows}</tbody></table></div>",
        name=name,
        caption=render('<caption class="sr-only">{text}</caption>', text=caption) if caption else Html(""),
        head=Html(head),
        rows=rows,
    )


def url(path: str, **params: object) -> str:
    """A dashboard URL (unescaped: `render` escapes it where it lands), without empty parameters."""
    query = urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def segment(value: str) -> str:
    """One path segment, percent-encoded (ids are already safe; this makes sure of it)."""
    return quote(value, safe="")


# --- formatting ------------------------------------------------------------------------------------

_STATE_LOOK = {
    BatchState.PENDING: ("pending", "\u25f7", "Pending"),  # ◷
    BatchState.RUNNING: ("running", "\u25b6", "Running"),  # ▶
    BatchState.SUCCEEDED: ("succeeded", "\u2713", "Succeeded"),  # ✓
    BatchState.FAILED: ("failed", "\u2715", "Failed"),  # ✕
    BatchState.CANCELLED: ("cancelled", "\u2298", "Cancelled"),  # ⊘
    BatchState.EXPIRED: ("expired", "\u2296", "Expired"),  # ⊖ (an hourglass is missing from common fonts)
}


def state_label(state: BatchState) -> str:
    return _STATE_LOOK[state][2]


def state_badge(state: BatchState) -> Html:
    """A state in colour and in words (and a symbol), never colour alone."""
    css, symbol, label = _STATE_LOOK[state]
    return render(
        '<span class="badge state-{css}" title="{full}"><span aria-hidden="true">{symbol}</span> {label}</span>',
        css=css,
        full=str(state),
        symbol=symbol,
        label=label,
    )


def outcome_badge(outcome: str) -> Html:
    """A batch line's outcome: ok, error, pending (not answered yet) or none (no result kept)."""
    symbol, label = {
        "ok": ("\u2713", "OK"),
        "error": ("\u2715", "Error"),
        "pending": ("\u25f7", "Pending"),
        "none": ("\u2013", "No result"),
    }[outcome]
    return render(
        '<span class="badge outcome-{outcome}"><span aria-hidden="true">{symbol}</span> {label}</span>',
        outcome=outcome,
        symbol=symbol,
        label=label,
    )


def status_badge(status: int) -> Html:
    """An HTTP status of the request journal, in colour and in words."""
    kind = "ok" if 200 <= status < 300 else "dropped" if status == 0 else "error"
    text = "dropped" if status == 0 else str(status)
    return render('<span class="badge http-{kind}">{text}</span>', kind=kind, text=text)


def when(us: int | None) -> Html:
    """An emulated time, to the second, in UTC; the exact time is in `datetime` and the tooltip."""
    if us is None:
        return Html('<span class="muted">\u2013</span>')
    exact = rfc3339(us)
    return render(
        '<time datetime="{exact}" title="{exact}"><span>{date}</span> <span>{time}</span></time>',
        exact=exact,
        date=exact[:10],
        time=exact[11:19],
    )


def duration(seconds: float) -> str:
    """`850 ms`, `12.5 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h` (hours and days to the minute)."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        minutes, secs = divmod(round(seconds), 60)
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def size(n: int) -> str:
    """`512 B`, `1.5 KiB`, `20 MiB`."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def number(n: int) -> str:
    return f"{n:,}"
