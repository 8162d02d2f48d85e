"""The dashboard in headless Chromium: what a developer does with it, through the real page script.

A batch created through the SDK shows up and its progress bar reaches 100% without a reload; it opens;
a line is found by key; another batch is cancelled from the keyboard; the clock is advanced; and the
screenshots in docs/dashboard.md are taken on the way (GEMINI_EMULATOR_SCREENSHOTS=docs/images).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import Settings
from emulator.control import EmulatorControl
from tests.sdk.helpers import make_client, request_line
from tests.servers import ThreadServer, thread_server

UI = "/_emulator/ui"
WIDE = {"width": 1366, "height": 860}
TIMEOUT = 30_000  # ms

pytestmark = pytest.mark.usefixtures("browser")


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    """Batches that take a few seconds: queued 0.2 s, then 2 ms a request."""
    with thread_server(Settings(data_dir=None, queue_delay=0.2, request_latency=0.002)) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: ThreadServer) -> Iterator[Any]:
    context = browser.new_context(viewport=WIDE, base_url=server.url)
    context.set_default_timeout(TIMEOUT)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield opened
    context.close()
    assert errors == []  # no script errors, no CSP violations


@pytest.fixture
def key() -> str:
    return f"ui-{uuid.uuid4().hex[:12]}"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def upload(server: ThreadServer, key: str, n: int) -> str:
    client = make_client(server.url, key)
    lines = "\n".join(request_line(f"request-{i}", f"Question {i}: why is the sky blue?") for i in range(n))
    uploaded = client.files.upload(
        file=io.BytesIO(lines.encode()), config={"mime_type": "jsonl", "display_name": "questions.jsonl"}
    )
    assert uploaded.name is not None
    return uploaded.name


def create(server: ThreadServer, key: str, src: str, display_name: str) -> str:
    client = make_client(server.url, key)
    job = client.batches.create(model="gemini-2.5-flash", src=src, config={"display_name": display_name})
    assert job.name is not None
    return job.name.removeprefix("batches/")


def test_a_batch_runs_to_100_percent_live_then_opens_and_a_line_is_found_by_key(
    page: Any, server: ThreadServer, key: str, screenshots: Path
) -> None:
    src = upload(server, key, 1000)
    page.goto(f"{UI}/?key={key}")  # before the batch exists: it must appear without a reload
    expect(page.locator(".empty")).to_contain_text("No batch matches")
    page.evaluate("window.__sameDocument = true")
    batch_id = create(server, key, src, "nightly-eval")
    bar = page.locator(f'tr[data-batch="{batch_id}"] progress')
    expect(bar).to_be_attached()
    page.evaluate(
        """(id) => { window.__seen = []; setInterval(() => {
            const bar = document.querySelector(`tr[data-batch="${id}"] progress`);
            if (bar) window.__seen.push(Number(bar.value)); }, 20); }""",
        batch_id,
    )
    expect(bar).to_have_attribute("value", "100")
    row = page.locator(f'tr[data-batch="{batch_id}"]')
    expect(row.locator(".badge").first).to_have_text("\u2713 Succeeded")
    expect(row).to_contain_text("1,000 / 1,000 \u00b7 100%")
    seen = page.evaluate("window.__seen")
    assert any(0 < value < 100 for value in seen), seen  # it moved while we watched
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

    page.click(f"#open-{batch_id}")
    expect(page.locator("h1")).to_have_text("nightly-eval")
    expect(page.locator("#live-summary")).to_contain_text("1,000: 1,000 succeeded, 0 failed, 0 pending")
    expect(page.locator("ol.timeline li")).to_have_count(3)
    page.fill('input[name="q"]', "request-742")
    page.press('input[name="q"]', "Enter")
    found = page.locator("table.lines tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_have_attribute("data-key", "request-742")
    expect(found.locator(".outcome-ok")).to_have_text("\u2713 OK")
    found.locator("details").last.locator("summary").click()
    expect(found.locator("details").last.locator("pre")).to_contain_text('"key": "request-742"')
    page.screenshot(path=screenshots / "find-by-key.png", full_page=True)


def test_another_batch_is_cancelled_from_the_keyboard(page: Any, server: ThreadServer, key: str) -> None:
    EmulatorControl(server.url).configure(apiKey=key, latency={"queue_delay": 3600})  # it stays PENDING
    batch_id = create(server, key, upload(server, key, 10), "to-cancel")
    page.goto(f"{UI}/?key={key}")
    row = page.locator(f'tr[data-batch="{batch_id}"]')
    expect(row.locator(".badge").first).to_have_text("\u25f7 Pending")
    page.focus(f"#cancel-{batch_id}")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_have_text("Batch cancelled.")
    expect(row.locator(".badge").first).to_have_text("\u2298 Cancelled")
    expect(row.locator(f"#cancel-{batch_id}")).to_have_count(0)
    client = make_client(server.url, key)
    assert client.batches.get(name=f"batches/{batch_id}").state.name == "JOB_STATE_CANCELLED"  # type: ignore[union-attr]


def test_advancing_the_clock_finishes_a_queued_batch(page: Any, server: ThreadServer, key: str) -> None:
    control = EmulatorControl(server.url)
    control.configure(apiKey=key, clock={"mode": "manual"}, latency={"queue_delay": 3600})
    batch_id = create(server, key, upload(server, key, 5), "queued-an-hour")
    before = control.clock(api_key=key)["now"]
    page.goto(f"{UI}/clock")
    form = page.locator("#advance-form")
    form.locator('input[name="amount"]').fill("2")
    form.locator('select[name="unit"]').select_option("hours")
    form.locator('input[name="apiKey"]').fill(key)
    form.locator('button[type="submit"]').click()
    expect(page.locator("#toast")).to_contain_text("The clock is now")
    assert control.clock(api_key=key)["now"][:13] > before[:13]
    expect(page.locator("#live-clock-state")).to_contain_text("2 h ahead")
    client = make_client(server.url, key)
    assert client.batches.get(name=f"batches/{batch_id}").state.name == "JOB_STATE_SUCCEEDED"  # type: ignore[union-attr]
    page.goto(f"{UI}/batches/{batch_id}")
    expect(page.locator("#live-summary .badge").first).to_have_text("\u2713 Succeeded")


def test_a_hostile_display_name_stays_inert_text(page: Any, server: ThreadServer, key: str) -> None:
    evil = '<img src=x onerror="window.__xss=1">'
    batch_id = create(server, key, upload(server, key, 1), evil)
    page.goto(f"{UI}/?key={key}")
    link = page.locator(f"#open-{batch_id}")
    expect(link).to_have_text(evil)
    assert link.locator("img").count() == 0
    page.goto(f"{UI}/batches/{batch_id}")
    expect(page.locator("h1")).to_have_text(evil)
    page.wait_for_timeout(700)  # a live update or two
    assert page.evaluate("window.__xss") is None


def test_a_batch_starts_from_the_new_batch_page_and_is_deleted(
    page: Any, server: ThreadServer, key: str, screenshots: Path
) -> None:
    page.goto(f"{UI}/new")
    page.fill('input[name="key"]', key)
    page.fill('input[name="displayName"]', "from-the-dashboard")
    page.screenshot(path=screenshots / "new.png", full_page=True)
    page.click("text=Upload and start batch")
    expect(page.locator("h1")).to_have_text("from-the-dashboard")
    expect(page.locator("#live-summary .badge").first).to_have_text("\u2713 Succeeded")
    expect(page.locator("table.lines tbody tr")).to_have_count(3)
    client = make_client(server.url, key)
    names = [job.display_name for job in client.batches.list()]
    assert names == ["from-the-dashboard"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#live-summary ~ section button[data-act=delete], section.panel button[data-act=delete]")
    page.wait_for_url(f"**{UI}/")
    assert list(client.batches.list()) == []


def test_fault_rules_are_added_and_removed(page: Any, server: ThreadServer, key: str) -> None:
    page.goto(f"{UI}/faults")
    form = page.locator('form[data-act="add-fault"]')
    form.locator('select[name="kind"]').select_option("http")
    form.locator('textarea[name="rule"]').fill('{"id": "slow-gets", "operation": "batches.get", "delay": 0.01}')
    form.locator('input[name="apiKey"]').fill(key)
    form.locator('button[type="submit"]').click()
    expect(page.locator("#toast")).to_have_text("Added rule slow-gets.")
    rule = page.locator("#live-rules li", has_text="slow-gets")
    expect(rule).to_contain_text('"operation":"batches.get"')
    rule.locator("button").click()
    expect(page.locator("#toast")).to_have_text("Removed rule slow-gets.")
    expect(page.locator("#live-rules")).not_to_contain_text("slow-gets")
    form.locator('textarea[name="rule"]').fill("{not json")
    form.locator('button[type="submit"]').click()
    expect(page.locator("#toast")).to_contain_text("not valid JSON")


def test_force_a_state_change_the_timing_jump_the_clock_and_reset_a_key(page: Any, key: str) -> None:
    """The other control-plane forms, each checked by what the emulator did."""
    settings = Settings(data_dir=None, clock="manual", clock_start="2026-01-01T00:00:00Z", queue_delay=3600)
    with thread_server(settings) as manual:
        control = EmulatorControl(manual.url)
        batch_id = create(manual, key, upload(manual, key, 3), "to-force")
        page.goto(f"{manual.url}{UI}/batches/{batch_id}")
        page.select_option('form[data-act="force"] select', "BATCH_STATE_FAILED")
        page.click('form[data-act="force"] button')
        expect(page.locator("#toast")).to_have_text("Batch forced to BATCH_STATE_FAILED.")
        expect(page.locator("#live-summary .badge").first).to_have_text("\u2715 Failed")
        expect(page.locator("#live-summary")).to_contain_text("The batch was forced to FAILED.")

        page.goto(f"{manual.url}{UI}/faults")
        page.fill('input[name="queue_delay"]', "0.5..2")
        page.fill('input[name="request_error_rate"]', "0.25")
        page.click('form[data-act="configure"] button')
        expect(page.locator("#toast")).to_have_text("Configuration changed: new batches use it.")
        config = control.config()
        assert (config["latency"]["queueDelay"], config["requestErrorRate"]) == ("0.5..2", 0.25)
        expect(page.locator("#live-config")).to_contain_text("0.5..2 s")

        page.goto(f"{manual.url}{UI}/clock")
        page.fill('form[data-act="set-time"] input[name="time"]', "2026-06-01T12:00:00Z")
        page.click('form[data-act="set-time"] button')
        expect(page.locator("#toast")).to_have_text("The clock is now 2026-06-01T12:00:00.000000Z.")
        expect(page.locator("#live-clock time")).to_have_attribute("datetime", "2026-06-01T12:00:00.000000Z")
        page.click("text=+1 day")
        expect(page.locator("#toast")).to_have_text("The clock is now 2026-06-02T12:00:00.000000Z.")

        page.goto(f"{manual.url}{UI}/faults")
        page.fill('form[data-act="reset"] input[name="apiKey"]', key)
        page.once("dialog", lambda dialog: dialog.accept())
        page.click('form[data-act="reset"] button')
        expect(page.locator("#toast")).to_have_text("That key's state was reset.")
        assert list(make_client(manual.url, key).batches.list()) == []


def test_with_a_control_token_the_dashboard_opens_once_with_it_and_keeps_working(page: Any) -> None:
    with thread_server(Settings(data_dir=None, control_token="s3cret")) as guarded:
        page.goto(f"{guarded.url}{UI}/clock?token=s3cret")
        page.wait_for_url(f"{guarded.url}{UI}/clock")  # the token left the address bar
        page.click("text=+1 hour")
        expect(page.locator("#toast")).to_contain_text("The clock is now")
        page.click("text=Batches")
        expect(page.locator("h1")).to_have_text("Batches")


def test_the_journal_and_files_pages(page: Any, server: ThreadServer, key: str) -> None:
    batch_id = create(server, key, upload(server, key, 3), "journaled")
    EmulatorControl(server.url).wait_idle()
    page.goto(f"{UI}/requests?key={key}")
    expect(page.locator("table.journal tbody tr")).to_have_count(3)  # upload start, its one chunk, the create
    page.goto(f"{UI}/files?key={key}")
    expect(page.locator("table.files tbody tr")).to_have_count(2)  # the input and the results
    page.click(f"text=files/batch-{batch_id}")
    expect(page.locator("pre.head")).to_contain_text('"key":"request-0"')


def test_keyboard_users_can_skip_to_the_content(page: Any) -> None:
    page.goto(f"{UI}/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_a_narrow_window_shows_batches_as_cards_without_sideways_scrolling(
    browser: Any, server: ThreadServer, key: str
) -> None:
    batch_id = create(server, key, upload(server, key, 20), "on-a-phone")
    EmulatorControl(server.url).wait_idle()
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server.url)
    narrow = context.new_page()
    try:
        narrow.goto(f"{UI}/")
        expect(narrow.locator(f'tr[data-batch="{batch_id}"] progress')).to_be_visible()
        assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_the_docs_screenshots_of_every_state(browser: Any, screenshots: Path) -> None:
    """A fixed scene on a manual clock (so the images only change when the dashboard does): batches
    in every state, a running one with failed lines, a fault rule, two API keys."""
    settings = Settings(
        data_dir=None, clock="manual", clock_start="2026-03-02T09:00:00Z", queue_delay=600, request_latency=30
    )
    with thread_server(settings) as scene:
        control = EmulatorControl(scene.url)
        control.add_fault("job", display_name="bad-prompts", outcome="FAILED", at=0.3, message="The model crashed.")
        control.add_fault("line", key="request-1?", rate=0.5, api_key="team-key")
        created = {
            name: create(scene, key, upload(scene, key, n), name)
            for key, n, name in [
                ("my-key", 10, "weekly-report"),
                ("my-key", 20, "bad-prompts"),
                ("team-key", 200, "nightly-eval"),
                ("my-key", 40, "to-cancel"),
            ]
        }
        control.advance(minutes=20)  # queued 10 min, then 20 of to-cancel's 40 requests answered
        cancel = httpx.post(
            f"{scene.url}{UI}/api/batches/{created['to-cancel']}:cancel", headers={"x-emulator-ui": "1"}
        )
        assert cancel.json()["state"] == "BATCH_STATE_CANCELLED"
        control.advance(minutes=20)  # nightly-eval: 60 of 200 answered
        stale = create(scene, "team-key", upload(scene, "team-key", 5), "stale-job")
        control.force(f"batches/{stale}", "EXPIRED")
        create(scene, "my-key", upload(scene, "my-key", 8), "just-queued")
        context = browser.new_context(viewport=WIDE, base_url=scene.url)
        shot = context.new_page()
        try:
            shot.goto(f"{UI}/")
            expect(shot.locator("table.batches tbody tr")).to_have_count(6)
            shot.screenshot(path=screenshots / "batches.png")
            shot.goto(f"{UI}/batches/{created['nightly-eval']}")
            expect(shot.locator("#live-summary .badge").first).to_have_text("\u25b6 Running")
            shot.set_viewport_size({"width": 1366, "height": 1150})
            shot.screenshot(path=screenshots / "batch.png")
            shot.set_viewport_size(WIDE)
            for page_name in ("clock", "faults", "requests", "files"):
                shot.goto(f"{UI}/{page_name}")
                shot.screenshot(path=screenshots / f"{page_name}.png", full_page=page_name != "requests")
            shot.set_viewport_size({"width": 390, "height": 844})
            shot.goto(f"{UI}/")
            shot.screenshot(path=screenshots / "narrow.png")
        finally:
            context.close()
