"""Regenerate the checked-in Python code for proto/termbridge/v1/*.proto.

Run with the pinned grpcio-tools: `python proto/generate.py [OUT_DIR]`.
OUT_DIR defaults to proto/ so the code lands beside its sources.
"""

import importlib.resources
import sys
from pathlib import Path

from google.rpc import status_pb2
from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
SOURCES = sorted((PROTO_ROOT / "termbridge" / "v1").glob("*.proto"))


def generate(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    googleapis = Path(status_pb2.__file__).resolve().parents[2]
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"-I{googleapis}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p.relative_to(PROTO_ROOT)) for p in SOURCES],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
