"""The async control client has every call of the sync one, and they behave alike."""

from __future__ import annotations

import inspect

import pytest

from emulator.control import AsyncEmulatorControl, EmulatorControl
from tests.sdk.helpers import make_client
from tests.servers import ThreadServer

pytestmark = pytest.mark.anyio


def public(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_both_clients_have_the_same_calls() -> None:
    assert public(EmulatorControl) - {"close"} == public(AsyncEmulatorControl) - {"aclose"}


async def test_the_async_client_steers_a_key(live_server: ThreadServer, api_key: str) -> None:
    async with AsyncEmulatorControl(live_server.url) as control:
        await control.set_time(api_key=api_key, mode="manual")
        before = (await control.clock(api_key=api_key))["now"]
        await control.advance(hours=1, api_key=api_key)
        assert (await control.clock(api_key=api_key))["now"] > before
        rule = await control.add_fault("http", operation="files.list", status=503, api_key=api_key)
        client = make_client(live_server.url, api_key)
        with pytest.raises(Exception, match="503"):
            client.files.list()
        assert [r["status"] for r in await control.requests("files.list", api_key=api_key)] == [503]
        await control.remove_fault(rule)
        assert list(client.files.list()) == []
        await control.reset(api_key=api_key)
        assert await control.requests(api_key=api_key) == []
