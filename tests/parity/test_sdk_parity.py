"""Google's own samples, through google-genai unchanged, reproduce the real service's recorded answers.

Each test quotes the real answer it reproduces and where it was recorded (the cookbook notebook
quickstarts/Batch_mode.ipynb, whose saved cell outputs came from the real service).
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from google import genai
from google.genai import errors, types

from emulator.control import EmulatorControl
from tests.parity import png
from tests.sdk.helpers import make_client, request_line, result_lines, wait_done, write_jsonl
from tests.servers import ThreadServer


@pytest.fixture
def client(live_server: ThreadServer, api_key: str) -> genai.Client:
    return make_client(live_server.url, api_key, "v1beta")


def test_list_omits_inline_results_and_get_keeps_them(client: genai.Client, tmp_path: Path) -> None:
    """Batch_mode.ipynb, "List Recent Jobs": "The list API currently doesn't return inlined_responses";
    the saved output prints no Type line for an inline job, so its `dest` is None in the list, while
    a file job lists `dest.file_name`."""
    inline = client.batches.create(
        model="gemini-2.5-flash",
        src=[{"contents": [{"parts": [{"text": "Write a short poem about a cloud."}]}]}],
        config={"display_name": "my-batch-job-inline-example"},
    )
    uploaded = client.files.upload(
        file=write_jsonl(tmp_path / "in.jsonl", [request_line("request_1", "hi")]), config={"mime_type": "jsonl"}
    )
    from_file = client.batches.create(model="gemini-2.5-flash", src=uploaded.name)
    wait_done(client, inline.name)
    wait_done(client, from_file.name)

    listed = {job.name: job for job in client.batches.list(config={"page_size": 10}).page}
    assert listed[inline.name].state.name == "JOB_STATE_SUCCEEDED"
    assert listed[inline.name].dest is None
    assert listed[from_file.name].dest is not None
    assert listed[from_file.name].dest.file_name == f"files/batch-{from_file.name.removeprefix('batches/')}"

    full = client.batches.get(name=inline.name)
    assert full.dest is not None and full.dest.inlined_responses is not None
    assert len(full.dest.inlined_responses) == 1 and full.dest.inlined_responses[0].response.text


def test_embedding_result_lines_carry_token_count(client: genai.Client, tmp_path: Path) -> None:
    """Batch_mode.ipynb, "Batch embeddings", the real result file:
    {"response":{"tokenCount":"1","embedding":{"values":[-0.034119852,0.0025719088,0.017325249]}},"key":"request_1"}
    """
    src = tmp_path / "embeddings_batch_requests.jsonl"
    src.write_text(
        '{"key": "request_1", "request": {"output_dimensionality": 3, "content": {"parts": [{"text": "1"}]}}}\n'
        '{"key": "request_2", "request": {"output_dimensionality": 4, "content": {"parts": [{"text": "2"}]}}}\n'
    )
    uploaded = client.files.upload(file=src, config={"mime_type": "jsonl"})
    job = client.batches.create_embeddings(model="gemini-embedding-001", src={"file_name": uploaded.name})
    job = wait_done(client, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    raw = client.files.download(file=job.dest.file_name).decode()
    lines = [json.loads(line) for line in raw.splitlines()]
    assert [line["key"] for line in lines] == ["request_1", "request_2"]
    for line, dim in zip(lines, (3, 4), strict=True):
        assert list(line) == ["response", "key"]
        assert list(line["response"]) == ["tokenCount", "embedding"]
        assert line["response"]["tokenCount"] == "1"  # int64: a string
        assert len(line["response"]["embedding"]["values"]) == dim
    assert raw.splitlines()[0].startswith('{"response":{"tokenCount":"1","embedding":{"values":[')
    assert result_lines(client, job.dest.file_name) == lines


def test_image_batch_from_the_notebook_returns_decodable_pngs(client: genai.Client, tmp_path: Path) -> None:
    """Batch_mode.ipynb, "Multimodal output": a file batch on gemini-2.5-flash-image with
    `generation_config.response_modalities: [TEXT, IMAGE]`; its cell reads each result's parts, shows
    the text and base64-decodes `inlineData` (mimeType image/png) into an image."""
    requests_data = [
        {
            "key": f"image_request_{i}",
            "request": {
                "contents": [{"parts": [{"text": f"A big letter {letter} surrounded by animals"}]}],
                "generation_config": {"response_modalities": ["TEXT", "IMAGE"]},
            },
        }
        for i, letter in ((1, "A"), (2, "B"))
    ]
    src = write_jsonl(tmp_path / "batch_image_gen_requests.json", [json.dumps(r) for r in requests_data])
    batch_input_file = client.files.upload(file=src, config={"mime_type": "jsonl"})
    job = client.batches.create(
        model="gemini-2.5-flash-image", src=batch_input_file.name, config={"display_name": "my-batch-image-gen-job"}
    )
    job = wait_done(client, job.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    pictures = []
    for parsed in result_lines(client, job.dest.file_name):
        parts = parsed["response"]["candidates"][0]["content"]["parts"]
        assert [("text" in p, "inlineData" in p) for p in parts] == [(True, False), (False, True)]
        assert parts[1]["inlineData"]["mimeType"] == "image/png"
        image = png.decode(base64.b64decode(parts[1]["inlineData"]["data"]))
        assert (image.width, image.height) == (1024, 1024)  # 1:1, the default aspect ratio
        usage = parsed["response"]["usageMetadata"]
        details = {d["modality"]: d["tokenCount"] for d in usage["candidatesTokensDetails"]}
        assert details["IMAGE"] == 1290 and usage["candidatesTokenCount"] == details["TEXT"] + 1290
        pictures.append(image.rows)
    assert pictures[0] != pictures[1]  # derived from the request


def test_image_model_answers_the_docs_example(client: genai.Client, tmp_path: Path) -> None:
    """The image-generation guide's Python example: no config on gemini-2.5-flash-image gives text and
    an image part, saved with `part.as_image().save(...)`; `imageConfig.aspectRatio` picks the
    dimensions (16:9 is 1344x768, 1290 tokens); Gemini 3 Pro Image takes `imageSize`."""
    response = client.models.generate_content(
        model="gemini-2.5-flash-image", contents=["Create a picture of a nano banana dish in a restaurant"]
    )
    parts = response.candidates[0].content.parts
    assert parts[0].text and parts[1].inline_data is not None
    parts[1].as_image().save(str(tmp_path / "generated_image.png"))
    saved = (tmp_path / "generated_image.png").read_bytes()
    assert png.decode(saved).width == 1024
    again = client.models.generate_content(
        model="gemini-2.5-flash-image", contents=["Create a picture of a nano banana dish in a restaurant"]
    )
    assert again.candidates[0].content.parts[1].inline_data.data == saved  # deterministic

    wide = client.models.generate_content(
        model="gemini-2.5-flash-image",
        contents="A wide landscape",
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="16:9")
        ),
    )
    (only,) = wide.candidates[0].content.parts
    image = png.decode(only.inline_data.data)
    assert (image.width, image.height) == (1344, 768)
    assert wide.usage_metadata.candidates_token_count == 1290

    pro = client.models.generate_content(
        model="gemini-3-pro-image-preview",
        contents="A poster",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(aspect_ratio="9:16", image_size="2K")
        ),
    )
    picture = next(p for p in pro.candidates[0].content.parts if p.inline_data)
    assert (png.decode(picture.inline_data.data).width, png.decode(picture.inline_data.data).height) == (1536, 2752)


def test_text_model_refuses_image_output(client: genai.Client) -> None:
    """python-genai's test_catch_stack_trace_in_error_handling (tests/models/test_generate_content.py)
    records the real answer to an output modality a model lacks: 400 INVALID_ARGUMENT
    `Multi-modal output is not supported.`"""
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(
            model="gemini-2.5-flash", contents="draw", config={"response_modalities": ["TEXT", "IMAGE"]}
        )
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert caught.value.message == "Multi-modal output is not supported."


def test_mime_type_is_echoed_as_given_and_read_as_json_lines(client: genai.Client, tmp_path: Path) -> None:
    """Batch_mode.ipynb, "Batch embeddings": `client.files.upload(..., mime_type="jsonl")` comes back
    from the real service as `File(mime_type='jsonl', ..., state=ACTIVE)`; the batch still reads it."""
    src = write_jsonl(tmp_path / "embeddings_batch_requests.jsonl", [request_line("request_1", "1")])
    uploaded = client.files.upload(file=src, config=types.UploadFileConfig(mime_type="jsonl"))
    assert uploaded.mime_type == "jsonl" and uploaded.state.name == "ACTIVE"
    assert client.files.get(name=uploaded.name).mime_type == "jsonl"
    job = wait_done(client, client.batches.create(model="gemini-2.5-flash", src=uploaded.name).name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert [line["key"] for line in result_lines(client, job.dest.file_name)] == ["request_1"]


def test_video_is_processing_until_the_clock_says_otherwise(
    live_server: ThreadServer, api_key: str, client: genai.Client, tmp_path: Path
) -> None:
    """The video guide's and the cookbook's loop (`while video_file.state.name == "PROCESSING":
    time.sleep(10); video_file = client.files.get(...)`): a video upload is PROCESSING, then ACTIVE
    after `video_processing` emulated seconds; used before that, generateContent answers the real
    400 FAILED_PRECONDITION (`The File ... is not in an ACTIVE state and usage is not allowed.`, the
    message users quote from the real service), and so does a batch line. Audio likewise; text,
    JSONL and images are ACTIVE at once."""
    control = EmulatorControl(live_server.url)
    control.configure(apiKey=api_key, clock={"mode": "manual"}, latency={"queue_delay": 0, "request_latency": 0})
    video = tmp_path / "sample.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(1000))
    video_file = client.files.upload(file=video)
    assert (video_file.mime_type, video_file.state.name) == ("video/mp4", "PROCESSING")
    file_id = video_file.name.removeprefix("files/")

    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents=[video_file, "Summarize this video."])
    assert (caught.value.code, caught.value.status) == (400, "FAILED_PRECONDITION")
    assert caught.value.message == f"The File {file_id} is not in an ACTIVE state and usage is not allowed."

    part = {"file_data": {"file_uri": video_file.uri, "mime_type": "video/mp4"}}
    job = client.batches.create(model="gemini-2.5-flash", src=[{"contents": [{"parts": [part], "role": "user"}]}])
    control.advance(seconds=1, api_key=api_key)
    (early,) = wait_done(client, job.name).dest.inlined_responses
    assert early.error is not None and early.error.code == 9  # FAILED_PRECONDITION, in-band

    control.advance(seconds=9, api_key=api_key)
    video_file = client.files.get(name=video_file.name)
    assert video_file.state.name == "ACTIVE"
    response = client.models.generate_content(model="gemini-2.5-flash", contents=[video_file, "Summarize it."])
    assert f"File {video_file.name} (video/mp4" in response.text

    audio = client.files.upload(file=io.BytesIO(b"ID3" + bytes(100)), config={"mime_type": "audio/mpeg"})
    assert audio.state.name == "PROCESSING"
    control.advance(seconds=2, api_key=api_key)
    assert client.files.get(name=audio.name).state.name == "ACTIVE"
    for mime in ("text/plain", "jsonl", "image/png"):
        assert client.files.upload(file=io.BytesIO(b"x"), config={"mime_type": mime}).state.name == "ACTIVE"
