"""The files page and one file's page (its first lines, if it is text, and a download link)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from emulator.files.models import File
from emulator.ids import tenant_for_key
from emulator.ui import queries
from emulator.ui.html import Html, join, render, segment, size, table, url, when
from emulator.ui.layout import Page, Region, missing, roots

if TYPE_CHECKING:
    from emulator.emulator import Emulator


def file_href(base: str, file: File) -> str:
    return f"{base}/files/{segment(file.tenant)}/{segment(file.id)}"


def _display(file: File) -> Html:
    if file.display_name:
        return render("{name}", name=file.display_name)
    return Html('<span class="muted">(none)</span>')


async def files_page(request: Request, emulator: Emulator) -> Page:
    base, _ = roots(request)
    q = request.query_params
    tenant = tenant_for_key(q["key"]) if q.get("key") else (q.get("tenant") or None)

    async def listing() -> Region:
        files = await queries.list_files(emulator.store, emulator.clock, tenant)
        if not files:
            return Region(Html('<p class="empty">No files.</p>'))
        rows = table("files", _COLUMNS, join(_file_row(f, base) for f in files))
        return Region(
            render('<p class="tally">{n} file{s}</p>{rows}', n=len(files), s="" if len(files) == 1 else "s", rows=rows)
        )

    def body(regions: dict[str, Html]) -> Html:
        return render(_FILES, base=base, key=q.get("key", ""), table=regions["files"])

    return Page("Files", "files", body, {"files": listing})


_COLUMNS = (
    '<th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Size</th>'
    '<th scope="col" class="wide-only">MIME type</th><th scope="col">Source</th>'
    '<th scope="col" class="wide-only">API key</th><th scope="col" class="wide-only">Created</th>'
    '<th scope="col">Expires</th><th scope="col"><span class="sr-only">Download</span></th>'
)
_FILES = """<form class="filters" method="get" action="{base}/files" role="search" aria-label="Filter files">
<label>API key <input type="search" name="key" value="{key}" autocomplete="off" spellcheck="false"
placeholder="the key your client uses"></label>
<button type="submit">Filter</button> <a href="{base}/files">Clear filters</a></form>
{table}"""


def _file_row(file: File, base: str) -> Html:
    href = file_href(base, file)
    return render(
        '<tr data-file="{name}"><th scope="row"><a class="mono" href="{href}">{name}</a></th><td>{display}</td>'
        '<td class="num">{size}</td><td class="wide-only">{mime}</td><td>{source}</td>'
        '<td class="wide-only mono key-cell"><a href="{key_href}">{tenant}</a></td><td class="wide-only">{created}</td>'
        '<td>{expires}</td><td><a href="{href}:download" download aria-label="Download {name}">Download</a></td></tr>',
        name=file.name,
        href=href,
        display=_display(file),
        size=size(file.size_bytes),
        mime=file.mime_type,
        source=str(file.source).lower(),
        key_href=url(base + "/files", tenant=file.tenant),
        tenant=file.tenant,
        created=when(file.create_us),
        expires=when(file.expire_us),
    )


async def file_page(request: Request, emulator: Emulator) -> Page:
    base, _ = roots(request)
    tenant, file_id = request.path_params["tenant"], request.path_params["file_id"]
    file = await queries.find_file(emulator.store, emulator.clock, tenant, file_id)
    if file is None:
        message = render(
            "There is no file <code>files/{id}</code> for API key <code>{tenant}</code> (it may have expired or "
            'been deleted). <a href="{base}/files">Back to the files</a>',
            id=file_id,
            tenant=tenant,
            base=base,
        )
        return missing("File not found", "files", message)
    file = emulator.files.shown(file)  # a video still processing shows PROCESSING, as files.get does
    if queries.is_text(file):
        lines, more = await queries.read_head(emulator.blobs, file)
        head = render(
            '<pre class="head">{text}</pre>{more}',
            text="\n".join(lines),
            more=Html('<p class="muted">\u2026 (first lines only: download the file for the rest)</p>')
            if more
            else Html(""),
        )
    else:
        head = render('<p class="muted">{mime} is not text: download it to look inside.</p>', mime=file.mime_type)
    batches = await queries.batches_of_file(emulator.store, file)
    used = join(
        render(
            '<li><a href="{href}">{label}</a> ({role})</li>',
            href=f"{base}/batches/{segment(b.id)}",
            label=b.display_name or b.name,
            role="input" if b.input_file == file.name else "results",
        )
        for b in batches
    )

    def body(regions: dict[str, Html]) -> Html:
        return render(
            _FILE,
            name=file.name,
            display=_display(file),
            size=size(file.size_bytes),
            bytes=f"{file.size_bytes:,}",
            mime=file.mime_type,
            source=str(file.source).lower(),
            state=str(file.state).lower(),
            tenant=file.tenant,
            sha=file.sha256_hex,
            created=when(file.create_us),
            expires=when(file.expire_us),
            download=file_href(base, file) + ":download",
            head=head,
            used=render("<ul>{items}</ul>", items=used) if batches else Html('<p class="muted">No batch.</p>'),
        )

    return Page(file.display_name or file.name, "files", body)


_FILE = """<dl class="facts panel">
<dt>Name</dt><dd class="mono">{name}</dd>
<dt>Display name</dt><dd>{display}</dd>
<dt>Size</dt><dd>{size} <span class="muted">({bytes} bytes)</span></dd>
<dt>MIME type</dt><dd>{mime}</dd>
<dt>Source</dt><dd>{source}</dd>
<dt>State</dt><dd>{state}</dd>
<dt>API key</dt><dd class="mono">{tenant}</dd>
<dt>SHA-256</dt><dd class="mono wrap">{sha}</dd>
<dt>Created</dt><dd>{created}</dd>
<dt>Expires</dt><dd>{expires}</dd>
</dl>
<p><a class="button" href="{download}" download>Download</a></p>
<section class="panel" aria-labelledby="head-h"><h2 id="head-h">First lines</h2>{head}</section>
<section class="panel" aria-labelledby="used-h"><h2 id="used-h">Batches using it</h2>{used}</section>"""
