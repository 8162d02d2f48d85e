"""Quotas from the settings (`--tier`, `--quota`), seen where an operator looks: the control plane,
the dashboard (a bar per model), the metrics; what was reserved survives a restart; without a tier
or limit nothing is counted or shown."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from google.genai import errors, types

from emulator import Settings
from emulator.control import EmulatorControl
from emulator.ids import tenant_for_key
from tests.sdk.helpers import make_client
from tests.servers import thread_server

FLASH = "gemini-2.5-flash"
LIMITS = ("gemini-2.5-flash:enqueued_tokens=1000", "*:rpm=5")


def test_tier_and_limits_are_shown_and_reservations_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, clock="manual", queue_delay=3600, tier="1", quotas=LIMITS)
    tenant = tenant_for_key("k")
    with thread_server(settings) as server:
        client = make_client(server.url, "k")
        client.batches.create(model=FLASH, src=[types.InlinedRequest(contents="x" * 2400)])  # 600 tokens
        client.models.generate_content(model=FLASH, contents="x" * 40)
        report = EmulatorControl(server.url).quotas("k")
        assert (report["enabled"], report["tier"], report["limits"]) == (True, "1", list(LIMITS))
        (flash,) = report["quotas"]
        assert flash["tenant"] == tenant and flash["enqueuedTokens"] == {"used": 600, "limit": 1000}
        assert (flash["rpm"]["used"], flash["rpm"]["limit"], flash["rpd"]["limit"]) == (1, 5, 10_000)
        assert flash["tpm"] == {"used": 10, "limit": 1_000_000, "resetTime": flash["tpm"]["resetTime"]}

        page = httpx.get(server.url + "/_emulator/ui/quotas").text
        assert 'aria-current="page">Quotas</a>' in page
        assert re.search(r'<progress class="bar state-running" max="100" value="60"[^>]*>', page)
        assert "600 / 1,000 enqueued tokens" in page and "1 / 5 requests / minute" in page

        for _ in range(4):
            client.models.generate_content(model=FLASH, contents="x")
        with pytest.raises(errors.ClientError):  # the 6th call of the minute
            client.models.generate_content(model=FLASH, contents="x")
        metrics = httpx.get(server.url + "/_emulator/metrics").text
        assert f'gemini_emulator_quota_refusals_total{{model="{FLASH}",limit="rpm"}} 1' in metrics
        labels = f'tenant="{tenant}",model="{FLASH}",limit="enqueued_tokens"'
        assert f"gemini_emulator_quota_used{{{labels}}} 600" in metrics
        assert f"gemini_emulator_quota_limit{{{labels}}} 1000" in metrics

    with thread_server(settings) as again:  # the reservation is worked out again from the stored batch
        (flash,) = EmulatorControl(again.url).quotas("k")["quotas"]
        assert flash["enqueuedTokens"] == {"used": 600, "limit": 1000}


def test_without_a_tier_or_limit_nothing_is_counted_or_shown() -> None:
    with thread_server(Settings(data_dir=None)) as server:
        client = make_client(server.url, "k")
        client.models.generate_content(model=FLASH, contents="hello")
        report = EmulatorControl(server.url).quotas()
        assert report == {"enabled": False, "tier": None, "limits": [], "keyLimits": [], "quotas": []}
        assert "quota" not in httpx.get(server.url + "/_emulator/metrics").text
        assert "Quotas are off" in httpx.get(server.url + "/_emulator/ui/quotas").text


def test_the_pytest_marker_sets_a_tests_own_limits(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest
from google.genai import errors

@pytest.mark.gemini_emulator(quotas=["gemini-2.5-flash:enqueued_tokens=10"], queue_delay=3600)
def test_over_the_enqueued_tokens(genai_client, gemini_emulator):
    genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "x" * 40}])
    with pytest.raises(errors.ClientError) as refused:
        genai_client.batches.create(model="gemini-2.5-flash", src=[{"contents": "y"}])
    assert refused.value.code == 429
    assert gemini_emulator.control.quotas()["quotas"][0]["enqueuedTokens"] == {"used": 10, "limit": 10}
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
