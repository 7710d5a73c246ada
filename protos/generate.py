"""Regenerate the Python code for Podgate's own protos (``make protos``).

Usage: python protos/generate.py [OUT_DIR]   (default: this folder, next to the .proto files)
"""

import sys
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PROTOS = sorted(p.relative_to(HERE).as_posix() for p in HERE.rglob("*.proto"))


def generate(out_dir: Path) -> None:
    """Run protoc on every .proto under protos/, writing _pb2, .pyi and _pb2_grpc files."""
    include = str(files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{HERE}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *PROTOS,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
