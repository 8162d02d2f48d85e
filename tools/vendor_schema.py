"""Vendor Google's Generative Language request schema: `make schema` runs this.

Downloads the `google-ai-generativelanguage` wheel from PyPI (Google's published protos, as
proto-plus modules), imports its v1beta `types` with proto-plus beside it (never the package's
clients, so neither google-api-core nor grpcio is needed), and writes the descriptors of the
request messages the emulator validates, with every file they depend on, as one serialized
`FileDescriptorSet` (emulator/validation/generativelanguage.binpb), plus a JSON record of where it
came from (emulator/validation/generativelanguage.json). Only this script needs the network; the
emulator reads the vendored file with the `protobuf` package at run time.

    python tools/vendor_schema.py [--version 0.12.1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "google-ai-generativelanguage"
API = "v1beta"
# The request messages the emulator validates (the batch line and synchronous request bodies).
MESSAGES = (
    "GenerateContentRequest",
    "CountTokensRequest",
    "EmbedContentRequest",
    "BatchEmbedContentsRequest",
)
OUT = Path(__file__).resolve().parent.parent / "emulator" / "validation"

# Runs in a child interpreter whose path holds the unpacked wheel and proto-plus.
_EXTRACT = r"""
import importlib, json, sys, types
from google.protobuf import descriptor_pb2
root, api, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
pkg = "google.ai.generativelanguage_" + api
stub = types.ModuleType(pkg)  # the package __init__ imports the gRPC clients: skip it
stub.__path__ = [root + "/google/ai/generativelanguage_" + api]
sys.modules[pkg] = stub
service = importlib.import_module(pkg + ".types.generative_service")
files, order = {}, []
def add(fd):
    if fd.name in files:
        return
    for dep in fd.dependencies:
        add(dep)
    proto = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(proto)
    files[fd.name] = proto
    order.append(fd.name)
full = []
for name in names:
    desc = getattr(service, name).pb().DESCRIPTOR
    full.append(desc.full_name)
    add(desc.file)
out = descriptor_pb2.FileDescriptorSet(file=[files[n] for n in order])
sys.stdout.buffer.write(json.dumps({"messages": full, "files": order}).encode() + b"\n")
sys.stdout.buffer.write(out.SerializeToString())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help=f"the {PACKAGE} version (default: the newest on PyPI)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        spec = f"{PACKAGE}=={args.version}" if args.version else PACKAGE
        subprocess.run([*pip, "download", "--no-deps", "--only-binary=:all:", "-d", str(work / "dl"), spec], check=True)
        (wheel,) = (work / "dl").glob("*.whl")
        version = wheel.name.split("-")[1]
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(work / "wheel")
        deps = ["proto-plus", "googleapis-common-protos", "protobuf"]
        subprocess.run([*pip, "install", "--no-deps", "--target", str(work / "deps"), *deps], check=True)
        env_path = f"{work / 'deps'}:{work / 'wheel'}"
        done = subprocess.run(
            [sys.executable, "-c", _EXTRACT, str(work / "wheel"), API, ",".join(MESSAGES)],
            check=True,
            capture_output=True,
            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        )
        header, _, payload = done.stdout.partition(b"\n")
        info = json.loads(header)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "generativelanguage.binpb").write_bytes(payload)
        record = {
            "source": f"https://pypi.org/project/{PACKAGE}/{version}/",
            "package": PACKAGE,
            "version": version,
            "wheel": wheel.name,
            "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "api": API,
            "messages": info["messages"],
            "files": info["files"],
            "descriptor_sha256": hashlib.sha256(payload).hexdigest(),
        }
        (args.out / "generativelanguage.json").write_text(json.dumps(record, indent=2) + "\n")
        print(f"{PACKAGE} {version}: {len(info['files'])} files, {len(payload)} bytes -> {args.out}")


if __name__ == "__main__":
    main()
