"""A catalogue of one's own: `--models FILE` replaces what models.list and models.get describe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import Emulator, Settings
from emulator.config import ConfigError
from tests.sdk.helpers import make_client
from tests.servers import thread_server


def test_models_file_replaces_the_catalogue(tmp_path: Path) -> None:
    catalogue = tmp_path / "models.json"
    catalogue.write_text(json.dumps([{"name": "my-model-1", "displayName": "Mine"}]))
    with thread_server(Settings(data_dir=None, models=catalogue)) as server:
        client = make_client(server.url, "k")
        assert [m.name for m in client.models.list()] == ["models/my-model-1"]
        assert client.models.get(model="my-model-1").display_name == "Mine"


def test_a_bad_models_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "models.json"
    bad.write_text('{"models": 3}')
    with pytest.raises(ConfigError, match="models"):
        Emulator(Settings(data_dir=None, models=bad))
