"""Regenerate the code and descriptor set for Podgate's own protos (``make protos``).

Python (_pb2, .pyi, _pb2_grpc) is generated for podgate_api/**.proto only: the vendored google/api
protos are imports, and their Python comes from xds-protos. DESCRIPTOR_SET holds every Podgate
proto with its imports, for Envoy's gRPC-JSON transcoder.

Usage: python protos/generate.py [OUT_DIR]   (default: this folder, next to the .proto files)
"""

import sys
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PROTOS = sorted(p.relative_to(HERE).as_posix() for p in (HERE / "podgate_api").rglob("*.proto"))
DESCRIPTOR_SET = "podgate_api/descriptors.pb"


def generate(out_dir: Path) -> None:
    """Run protoc on every podgate_api .proto: Python code plus the descriptor set."""
    include = str(files("grpc_tools") / "_proto")
    descriptor_set = out_dir / DESCRIPTOR_SET
    descriptor_set.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{HERE}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--descriptor_set_out={descriptor_set}",
        "--include_imports",
        *PROTOS,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
