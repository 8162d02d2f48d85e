"""The dashboard over HTTP, without a browser: pages, live regions, escaping, the JSON API, actions."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import Settings
from emulator.control import EmulatorControl
from emulator.ids import tenant_for_key
from tests.sdk.helpers import make_client, request_line, wait_done
from tests.servers import ThreadServer, thread_server

UI = "/_emulator/ui"
EVIL = '<img src=x onerror="window.__xss=1">'
ACT = {"x-emulator-ui": "1"}


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with thread_server(Settings(data_dir=None, queue_delay=0, request_latency=0)) as running:
        yield running


@pytest.fixture
def manual() -> Iterator[ThreadServer]:
    """Time stands still: a batch queues an hour, then answers one request a minute."""
    settings = Settings(
        data_dir=None, clock="manual", clock_start="2026-01-01T00:00:00Z", queue_delay=3600, request_latency=60
    )
    with thread_server(settings) as running:
        yield running


@pytest.fixture
def key() -> str:
    return f"ui-{uuid.uuid4().hex[:12]}"


_http: httpx.Client


@pytest.fixture(scope="module", autouse=True)
def http() -> Iterator[httpx.Client]:
    """One connection pool for the module (a client per call costs a TLS context each time)."""
    global _http
    with httpx.Client(timeout=30) as client:
        _http = client
        yield client


def get(server: ThreadServer, path: str, **params: Any) -> httpx.Response:
    return _http.get(server.url + path, params=params or None)


def post(server: ThreadServer, path: str, **kwargs: Any) -> httpx.Response:
    return _http.post(server.url + path, **kwargs)


def jsonl(n: int, prefix: str = "request") -> bytes:
    return ("\n".join(request_line(f"{prefix}-{i}", f"question {i}") for i in range(n)) + "\n").encode()


def file_batch(server: ThreadServer, key: str, n: int, display_name: str | None = None) -> str:
    client = make_client(server.url, key)
    uploaded = client.files.upload(file=io.BytesIO(jsonl(n)), config={"mime_type": "jsonl"})
    assert uploaded.name is not None
    config: Any = {"display_name": display_name} if display_name else None
    job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name, config=config)
    assert job.name is not None
    return job.name.removeprefix("batches/")


def test_the_root_and_the_bare_prefix_redirect_to_the_dashboard(server: ThreadServer) -> None:
    for path in ("/", UI):
        response = get(server, path)
        assert response.status_code == 307 and response.headers["location"] == UI + "/"


@pytest.mark.parametrize(
    ("path", "title", "section"),
    [
        ("/", "Batches", "Batches"),
        ("/new", "New batch", "New batch"),
        ("/files", "Files", "Files"),
        ("/clock", "Clock", "Clock"),
        ("/faults", "Faults &amp; config", "Faults &amp; config"),
        ("/requests", "Requests", "Requests"),
    ],
)
def test_every_page_renders_with_its_nav_entry_current(
    server: ThreadServer, path: str, title: str, section: str
) -> None:
    response = get(server, UI + path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text
    assert f'aria-current="page">{section}</a>' in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.text and " style=" not in response.text  # nothing inline: CSP holds
    assert 'data-live="clock"' in response.text


def test_a_hostile_display_name_is_text_everywhere(server: ThreadServer, key: str) -> None:
    client = make_client(server.url, key)
    uploaded = client.files.upload(
        file=io.BytesIO(jsonl(2)), config={"mime_type": "jsonl", "display_name": '"><script>alert(1)</script>'}
    )
    assert uploaded.name is not None
    job = client.batches.create(model="gemini-2.5-flash", src=uploaded.name, config={"display_name": EVIL})
    assert job.name is not None
    batch_id = job.name.removeprefix("batches/")
    tenant = tenant_for_key(key)
    pages = [
        get(server, UI + "/", key=key),
        get(server, f"{UI}/live/", key=key, region="batches"),
        get(server, f"{UI}/batches/{batch_id}"),
        get(server, UI + "/files", key=key),
        get(server, f"{UI}/files/{tenant}/{uploaded.name.removeprefix('files/')}"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<img" not in page.text.replace('<img src="/_emulator/ui/static/icon.svg', "")
        assert "<script>alert" not in page.text and 'onerror="' not in page.text
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in pages[0].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[3].text
    # In an attribute too (the delete button's confirmation): the quotes cannot close it.
    assert 'data-confirm="Delete &lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;?' in pages[0].text


def test_a_hostile_path_is_escaped_in_the_not_found_page(server: ThreadServer) -> None:
    response = get(server, UI + "/batches/<svg onload=alert(1)>")
    assert response.status_code == 404
    assert "<svg" not in response.text and "&lt;svg onload=alert(1)&gt;" in response.text


def test_batches_filter_by_state_and_by_api_key(server: ThreadServer, key: str) -> None:
    other = key + "-other"
    mine = file_batch(server, key, 3, "mine")
    theirs = file_batch(server, other, 3, "theirs")
    control = EmulatorControl(server.url)
    control.wait_idle()
    control.configure(apiKey=key, latency={"queue_delay": 3600})  # this key's next batch waits to be cancelled
    cancelled = file_batch(server, key, 1, "to-cancel")
    post(server, f"{UI}/api/batches/{cancelled}:cancel", headers=ACT).raise_for_status()

    def listed(**params: str) -> set[str]:
        return {b["id"] for b in get(server, UI + "/api/batches", **params).json()["batches"]}

    assert {mine, cancelled} == listed(key=key)
    assert theirs in listed(tenant=tenant_for_key(other)) and mine not in listed(tenant=tenant_for_key(other))
    assert listed(key=key, state="SUCCEEDED") == {mine}
    assert listed(key=key, state="BATCH_STATE_CANCELLED") == {cancelled}
    html = get(server, UI + "/", key=key, state="cancelled").text
    assert f'data-batch="{cancelled}"' in html and f'data-batch="{mine}"' not in html
    assert '<option value="CANCELLED" selected>' in html


def test_progress_and_live_updates_follow_the_batch(manual: ThreadServer, key: str) -> None:
    control = EmulatorControl(manual.url)
    batch_id = file_batch(manual, key, 10)
    region = get(manual, f"{UI}/live/", region="batches")
    assert region.headers["x-live"] == "active" and region.headers["cache-control"] == "no-store"
    assert 'value="0"' in region.text and "0 / 10" in region.text and "Pending" in region.text
    control.advance(minutes=60 + 4)  # queued an hour, then four requests answered
    region = get(manual, f"{UI}/live/", region="batches")
    assert 'value="40"' in region.text and "4 / 10 \u00b7 40%" in region.text and "Running" in region.text
    control.advance(minutes=6)
    region = get(manual, f"{UI}/live/", region="batches")
    assert 'value="100"' in region.text and "Succeeded" in region.text
    assert region.headers["x-live"] == "idle"  # nothing moves any more: poll slowly
    data = get(manual, f"{UI}/api/batches/{batch_id}").json()
    assert (data["progress"], data["doneCount"], data["state"]) == (100, 10, "BATCH_STATE_SUCCEEDED")


def test_a_live_region_that_does_not_exist_is_404(server: ThreadServer) -> None:
    assert get(server, f"{UI}/live/", region="nope").status_code == 404


def test_the_timeline_shows_what_happened_and_what_is_scheduled(manual: ThreadServer, key: str) -> None:
    control = EmulatorControl(manual.url)
    batch_id = file_batch(manual, key, 3)
    events = get(manual, f"{UI}/api/batches/{batch_id}").json()["timeline"]
    assert [(e["label"], e["time"], e["scheduled"]) for e in events] == [
        ("Created", "2026-01-01T00:00:00.000000Z", False),
        ("Starts", "2026-01-01T01:00:00.000000Z", True),
        ("Succeeds", "2026-01-01T01:03:00.000000Z", True),
        ("Expires if not done", "2026-01-03T00:00:00.000000Z", True),
    ]
    control.advance(hours=2)
    events = get(manual, f"{UI}/api/batches/{batch_id}").json()["timeline"]
    assert [(e["label"], e["state"], e["scheduled"]) for e in events] == [
        ("Created", "BATCH_STATE_PENDING", False),
        ("Started", "BATCH_STATE_RUNNING", False),
        ("Succeeded", "BATCH_STATE_SUCCEEDED", False),
    ]
    page = get(manual, f"{UI}/batches/{batch_id}").text
    assert '<li class="event state-succeeded"><strong>Succeeded</strong>' in page


def test_a_job_fault_shows_in_the_timeline(manual: ThreadServer, key: str) -> None:
    control = EmulatorControl(manual.url)
    control.add_fault("job", outcome="FAILED", at=0.5, api_key=key, message="boom")
    batch_id = file_batch(manual, key, 4)
    events = get(manual, f"{UI}/api/batches/{batch_id}").json()["timeline"]
    assert ("Fails", "2026-01-01T01:02:00.000000Z") in [(e["label"], e["time"]) for e in events]
    control.advance(hours=2)
    page = get(manual, f"{UI}/batches/{batch_id}").text
    assert "Failed" in page and "boom" in page


def test_lines_page_beside_their_results_and_can_be_found_by_key(server: ThreadServer, key: str) -> None:
    batch_id = file_batch(server, key, 60)
    EmulatorControl(server.url).wait_idle()
    page2 = get(server, f"{UI}/api/batches/{batch_id}/lines", page=2, size=25).json()
    assert (page2["page"], page2["pages"], page2["total"]) == (2, 3, 60)
    assert [line["key"] for line in page2["lines"]] == [f"request-{i}" for i in range(25, 50)]
    first = page2["lines"][0]
    assert first["outcome"] == "ok" and first["prompt"] == "question 25" and first["answer"]
    assert json.loads(first["result"])["key"] == "request-25"
    found = get(server, f"{UI}/api/batches/{batch_id}/lines", q="REQUEST-42").json()
    assert [line["key"] for line in found["lines"]] == ["request-42"] and found["total"] == 1
    html = get(server, f"{UI}/batches/{batch_id}", q="request-42").text
    assert 'data-key="request-42"' in html and "1 request with a key containing" in html
    assert 'data-key="request-41"' not in html
    html = get(server, f"{UI}/batches/{batch_id}", page=3).text
    assert "Requests 51\u201360 of 60." in html and 'rel="prev"' in html and "Page 3 of 3" in html


def test_lines_of_a_running_batch_are_pending_and_inline_keys_come_from_metadata(
    manual: ThreadServer, key: str
) -> None:
    client = make_client(manual.url, key)
    src = [{"contents": f"question {i}", "metadata": {"key": f"inline-{i}"}} for i in range(4)]
    job = client.batches.create(model="gemini-2.5-flash", src=src)  # type: ignore[arg-type]
    assert job.name is not None
    EmulatorControl(manual.url).advance(minutes=62)
    lines = get(manual, f"{UI}/api/batches/{job.name.removeprefix('batches/')}/lines").json()["lines"]
    assert [(line["key"], line["outcome"]) for line in lines] == [
        ("inline-0", "ok"),
        ("inline-1", "ok"),
        ("inline-2", "pending"),
        ("inline-3", "pending"),
    ]


def test_failed_lines_show_their_error(server: ThreadServer, key: str) -> None:
    control = EmulatorControl(server.url)
    control.add_fault("line", key="request-1", status="INVALID_ARGUMENT", message="bad line", api_key=key)
    batch_id = file_batch(server, key, 3)
    control.wait_idle()
    lines = get(server, f"{UI}/api/batches/{batch_id}/lines").json()["lines"]
    assert [line["outcome"] for line in lines] == ["ok", "error", "ok"]
    assert lines[1]["answer"].endswith("bad line")
    html = get(server, f"{UI}/batches/{batch_id}").text
    assert "outcome-error" in html and "Error</span>" in html


def test_actions_need_the_dashboard_header(server: ThreadServer, key: str) -> None:
    batch_id = file_batch(server, key, 1)
    for path in (f"/api/batches/{batch_id}:cancel", f"/api/batches/{batch_id}:delete", "/api/batches?model=m"):
        response = post(server, UI + path, content=b"{}")
        assert response.status_code == 403 and response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_cancel_and_delete_act_on_any_keys_batch(manual: ThreadServer, key: str) -> None:
    client = make_client(manual.url, key)
    batch_id = file_batch(manual, key, 2)
    answer = post(manual, f"{UI}/api/batches/{batch_id}:cancel", headers=ACT).json()
    assert answer["state"] == "BATCH_STATE_CANCELLED"
    assert client.batches.get(name=f"batches/{batch_id}").state.name == "JOB_STATE_CANCELLED"  # type: ignore[union-attr]
    post(manual, f"{UI}/api/batches/{batch_id}:delete", headers=ACT).raise_for_status()
    assert get(manual, f"{UI}/batches/{batch_id}").status_code == 404
    gone = get(manual, f"{UI}/live/batches/{batch_id}", region="summary")  # the open page learns it is gone
    assert gone.status_code == 200 and gone.headers["x-live"] == "gone"
    missing = post(manual, f"{UI}/api/batches/{batch_id}:cancel", headers=ACT)
    assert missing.status_code == 404


def test_a_batch_started_from_an_upload_belongs_to_the_key_given(server: ThreadServer, key: str) -> None:
    response = post(
        server,
        f"{UI}/api/batches",
        params={"model": "gemini-2.5-flash", "key": key, "displayName": "from the dashboard", "fileName": "q.jsonl"},
        content=jsonl(5),
        headers={**ACT, "content-type": "application/jsonl"},
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["url"] == f"{UI}/batches/{created['batch']['id']}"
    client = make_client(server.url, key)
    job = wait_done(client, created["batch"]["name"])
    assert job.state.name == "JOB_STATE_SUCCEEDED" and job.display_name == "from the dashboard"  # type: ignore[union-attr]
    assert client.files.get(name=created["file"]).display_name == "q.jsonl"


@pytest.mark.parametrize(
    ("params", "body", "message"),
    [
        ({"model": ""}, b"x", "model"),
        ({"model": "a/b"}, b"x", "model"),
        ({"model": "gemini-2.5-flash"}, b"", "no requests"),
    ],
)
def test_starting_a_batch_refuses_bad_input(
    server: ThreadServer, params: dict[str, str], body: bytes, message: str
) -> None:
    response = post(server, f"{UI}/api/batches", params=params, content=body, headers=ACT)
    assert response.status_code == 400 and message in response.json()["error"]["message"]


def test_files_page_head_and_download(server: ThreadServer, key: str) -> None:
    client = make_client(server.url, key)
    content = jsonl(30)
    uploaded = client.files.upload(file=io.BytesIO(content), config={"mime_type": "jsonl", "display_name": "in.jsonl"})
    image = client.files.upload(file=io.BytesIO(b"\x89PNG...."), config={"mime_type": "image/png"})
    assert uploaded.name is not None and image.name is not None
    tenant = tenant_for_key(key)
    listing = get(server, UI + "/files", key=key).text
    assert uploaded.name in listing and "in.jsonl" in listing and "image/png" in listing
    page = get(server, f"{UI}/files/{tenant}/{uploaded.name.removeprefix('files/')}").text
    assert '<pre class="head">{&quot;key&quot;: &quot;request-0&quot;' in page
    assert "request-19" in page and "request-20" not in page and "first lines only" in page
    download = get(server, f"{UI}/files/{tenant}/{uploaded.name.removeprefix('files/')}:download")
    assert download.content == content and "in.jsonl" in download.headers["content-disposition"]
    png = get(server, f"{UI}/files/{tenant}/{image.name.removeprefix('files/')}").text
    assert "image/png is not text" in png
    assert get(server, f"{UI}/files/{tenant}/nope").status_code == 404
    assert get(server, f"{UI}/files/{tenant}/nope:download").status_code == 404
    files = get(server, UI + "/api/files", key=key).json()["files"]
    assert {f["name"] for f in files} == {uploaded.name, image.name} and files[0]["apiKey"] == tenant


def test_the_output_file_links_back_to_its_batch(server: ThreadServer, key: str) -> None:
    batch_id = file_batch(server, key, 2, "with-results")
    EmulatorControl(server.url).wait_idle()
    tenant = tenant_for_key(key)
    page = get(server, f"{UI}/batches/{batch_id}").text
    assert f'href="{UI}/files/{tenant}/batch-{batch_id}"' in page
    output = get(server, f"{UI}/files/{tenant}/batch-{batch_id}").text
    assert "with-results</a> (results)" in output
    download = get(server, f"{UI}/files/{tenant}/batch-{batch_id}:download")
    assert len(download.text.splitlines()) == 2 and f"batch-{batch_id}.jsonl" in download.headers["content-disposition"]


def test_the_journal_page_lists_and_filters_api_calls(server: ThreadServer, key: str) -> None:
    batch_id = file_batch(server, key, 1)
    client = make_client(server.url, key)  # kept referenced: a collected client closes its connection
    client.batches.get(name=f"batches/{batch_id}")
    html = get(server, UI + "/requests", key=key).text
    assert "<td>files.upload</td>" in html and "<td>batches.create</td>" in html and "<td>batches.get</td>" in html
    assert f'href="{UI}/batches/{batch_id}"' in html
    only = get(server, UI + "/live/requests", key=key, operation="batches.g*", region="journal").text
    assert "<td>batches.get</td>" in only and "<td>files.upload</td>" not in only
    calls = get(server, f"{UI}/batches/{batch_id}").text
    assert "batches.get" in calls.split("API calls on this batch")[1]


def test_the_faults_page_lists_rules_and_the_configuration(server: ThreadServer) -> None:
    control = EmulatorControl(server.url)
    rule = control.add_fault("http", operation="files.list", status=503, first_n=1, api_key="nobody")
    try:
        html = get(server, UI + "/faults").text
        assert f'data-rule="{rule}"' in html and "files.list" in html
        assert "<dt>Seed</dt><dd>0</dd>" in html and "Request latency" in html
    finally:
        control.remove_fault(rule)


def test_the_clock_page_shows_the_shared_and_per_key_clocks(manual: ThreadServer, key: str) -> None:
    EmulatorControl(manual.url).advance(hours=3, api_key=key)
    html = get(manual, UI + "/clock").text
    assert 'datetime="2026-01-01T00:00:00.000000Z"' in html and "manual: time moves only when you advance it" in html
    assert tenant_for_key(key) in html and 'datetime="2026-01-01T03:00:00.000000Z"' in html and "3 h ahead" in html


def test_static_assets_are_served_from_the_package_and_cached_by_content(server: ThreadServer) -> None:
    page = get(server, UI + "/").text
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")):
        (href,) = set(re.findall(rf'"({UI}/static/{re.escape(name)}\?v=[0-9a-f]+)"', page))
        response = get(server, href)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert "immutable" in response.headers["cache-control"]
        assert get(server, f"{UI}/static/{name}").headers["cache-control"] == "no-cache"
    assert get(server, UI + "/static/../app.py").status_code == 404
    assert get(server, UI + "/static/nope.js").status_code == 404


def test_links_keep_a_base_path_prefix(server: ThreadServer) -> None:
    html = get(server, "/some/prefix" + UI + "/").text
    assert 'data-base="/some/prefix/_emulator/ui"' in html and 'data-control="/some/prefix/_emulator"' in html
    assert 'href="/some/prefix/_emulator/ui/files"' in html


def test_with_a_control_token_the_dashboard_remembers_it_in_a_cookie() -> None:
    with thread_server(Settings(data_dir=None, control_token="s3cret")) as running:
        assert get(running, UI + "/").status_code == 401
        response = get(running, UI + "/", token="s3cret")
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert "emulator_token=s3cret" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Path=/_emulator" in cookie
        assert "set-cookie" not in get(running, UI + "/", token="wrong").headers


def test_with_a_control_token_the_cookie_opens_every_dashboard_page_and_action() -> None:
    with thread_server(Settings(data_dir=None, control_token="s3cret")) as running, httpx.Client() as browser:
        assert browser.get(running.url + UI + "/", params={"token": "s3cret"}).status_code == 200
        assert browser.get(running.url + UI + "/files").status_code == 200  # a link followed: no token in it
        assert browser.get(running.url + UI + "/live/", params={"region": "batches"}).status_code == 200
        ui = {"X-Emulator-UI": "1"}  # what the dashboard's script sends with every request
        assert (
            browser.post(running.url + "/_emulator/clock:advance", json={"seconds": 1}, headers=ui).status_code == 200
        )
        # A cookie alone opens reads only: a form posted from another localhost page carries no such header.
        assert browser.post(running.url + "/_emulator/clock:advance", json={"seconds": 1}).status_code == 401


def test_a_video_still_processing_shows_processing_as_files_get_does(key: str) -> None:
    with thread_server(Settings(data_dir=None, request_latency=0, video_processing=3600)) as running:
        client = make_client(running.url, key)
        video = client.files.upload(file=io.BytesIO(b"\x00\x00\x00\x18ftypmp42"), config={"mime_type": "video/mp4"})
        assert video.name is not None and video.state == "PROCESSING"
        page = get(running, f"{UI}/files/{tenant_for_key(key)}/{video.name.removeprefix('files/')}").text
        assert "<dt>State</dt><dd>processing</dd>" in page
        (listed,) = get(running, UI + "/api/files", key=key).json()["files"]
        assert listed["state"] == "PROCESSING"
