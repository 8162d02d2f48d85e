"""A dashboard page: its title, its static parts, and its live regions, each renderable on its own.

A full page request renders every region into the layout. The page's script then polls
`/_emulator/ui/live/<page>?region=<name>` for each region and swaps in the fresh HTML: rendering
happens here, once, escaped, whether for the first load or an update. `X-Live: active` tells the
script something is still moving (poll fast), `idle` that nothing is (poll slowly).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request

from emulator import __version__
from emulator.asgi.requests import app_root
from emulator.ui.assets import asset_url
from emulator.ui.html import Html, join, render, when

if TYPE_CHECKING:
    from emulator.emulator import Emulator

PREFIX = "/_emulator/ui"


@dataclass(frozen=True, slots=True)
class Region:
    html: Html
    active: bool = False  # something in it is still changing


RegionFn = Callable[[], Awaitable[Region]]


@dataclass
class Page:
    title: str
    section: str  # the navigation entry it belongs to
    body: Callable[[dict[str, Html]], Html]  # the page's markup, given its regions' markup
    regions: dict[str, RegionFn] = field(default_factory=dict)
    status: int = 200


def missing(title: str, section: str, message: Html) -> Page:
    """A 404 page: `message` says what is not there and links back."""
    return Page(title, section, lambda regions: render('<p class="empty">{message}</p>', message=message), status=404)


def roots(request: Request) -> tuple[str, str]:
    """The dashboard's base URL path and the control plane's, behind any base-path prefix."""
    root = app_root(request.scope)
    return root + PREFIX, root + "/_emulator"


def live(name: str, content: Html) -> Html:
    """A region the script keeps up to date (not announced: it may change every second)."""
    return render(
        '<div class="live" data-live="{name}" id="live-{name}" tabindex="-1">{content}</div>',
        name=name,
        content=content,
    )


NAV = (
    ("batches", "/", "Batches"),
    ("new", "/new", "New batch"),
    ("files", "/files", "Files"),
    ("clock", "/clock", "Clock"),
    ("faults", "/faults", "Faults & config"),
    ("requests", "/requests", "Requests"),
    ("quotas", "/quotas", "Quotas"),
    ("webhooks", "/webhooks", "Webhooks"),
)


def clock_region(emulator: Emulator) -> RegionFn:
    async def region() -> Region:
        clock = emulator.clock
        html = render(
            '<span class="clock-label">Emulated time (UTC)</span> {now} <span class="badge clock-{mode}">{mode}</span>',
            now=when(clock.now_us()),
            mode=clock.mode,
        )
        return Region(html, active=clock.mode != "manual")

    return region


def document(request: Request, page: Page, regions: dict[str, Html]) -> Html:
    base, control = roots(request)
    nav = join(
        render(
            '<li><a href="{href}"{current}>{label}</a></li>',
            href=base + path,
            current=Html(' aria-current="page"') if key == page.section else Html(""),
            label=label,
        )
        for key, path, label in NAV
    )
    return render(
        _DOCUMENT,
        title=page.title,
        base=base,
        control=control,
        css=asset_url(base, "app.css"),
        js=asset_url(base, "app.js"),
        icon=asset_url(base, "icon.svg"),
        nav=nav,
        clock=regions.pop("clock", Html("")),
        body=page.body(regions),
        version=__version__,
    )


_DOCUMENT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} \u00b7 Gemini Batch Emulator</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" href="{icon}" type="image/svg+xml">
<script src="{js}" defer></script>
</head>
<body data-base="{base}" data-control="{control}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="{base}/"><img src="{icon}" alt="" width="24" height="24"> Gemini Batch Emulator</a>
<nav aria-label="Dashboard"><ul>{nav}</ul></nav>
<div class="now">{clock}</div>
</header>
<div id="stale" class="stale" role="alert" hidden>Lost contact with the emulator; retrying\u2026</div>
<main id="main" tabindex="-1">
<h1>{title}</h1>
{body}
</main>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
<footer>gemini-batch-emulator {version} \u00b7 <a href="{control}/openapi.json">control-plane API</a> \u00b7
pages update live while batches run</footer>
<noscript><p class="notice">Live updates and actions need JavaScript; the pages still show the state as of loading.</p>
</noscript>
</body>
</html>
"""
