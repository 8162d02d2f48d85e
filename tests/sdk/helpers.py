"""Small helpers for driving the real google-genai SDK in tests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from google import genai
from google.genai import types


def make_client(url: str, api_key: str, api_version: str | None = None) -> genai.Client:
    options: dict[str, Any] = {"base_url": url}
    if api_version:
        options["api_version"] = api_version
    return genai.Client(api_key=api_key, http_options=options)


def request_line(key: str, text: str, **request: Any) -> str:
    return json.dumps({"key": key, "request": {"contents": [{"parts": [{"text": text}]}], **request}})


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_done(client: genai.Client, name: str, timeout: float = 60) -> types.BatchJob:
    """Poll `batches.get` as the official guide does, until the job is terminal."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.batches.get(name=name)
        if job.done:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} still {job.state} after {timeout} s")
        time.sleep(0.05)


def result_lines(client: genai.Client, file_name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in client.files.download(file=file_name).decode().splitlines()]
