"""The vendored schema is what its record says it is (make schema writes both), and it is read only
when the first request is validated."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from emulator.validation import schema


def test_the_record_matches_the_descriptors() -> None:
    record = schema.record()
    assert record["package"] == "google-ai-generativelanguage" and record["version"]
    assert hashlib.sha256(schema.DESCRIPTORS.read_bytes()).hexdigest() == record["descriptor_sha256"]
    compiled = schema.messages()
    for name in record["messages"]:
        assert name in compiled, name


def test_every_field_answers_to_both_spellings() -> None:
    config = schema.message("GenerationConfig")
    assert config.fields["maxOutputTokens"] is config.fields["max_output_tokens"]
    assert schema.message("Schema").fields["type"].name == "type"  # proto-plus's `type_` undone


def test_protobuf_is_not_imported_at_start_up() -> None:
    code = "import sys, emulator.app; emulator.app.create_app; print('google.protobuf' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
