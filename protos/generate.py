"""Regenerate the code and descriptor set for Podgate's own protos (``make protos``).

The protos live in podgate/ (their proto package is `podgate.admin.v1`, a wire contract); their
Python is generated into the package podgate_api/, so that `import podgate` never means generated
code. protoc names a module after its file's path, so the .proto files are staged under
podgate_api/ first. Python (_pb2, .pyi, _pb2_grpc) is generated for Podgate's protos only: the
vendored google/api protos are imports, and their Python comes from xds-protos. DESCRIPTOR_SET
holds every Podgate proto with its imports, for Envoy's gRPC-JSON transcoder.

Usage: python protos/generate.py [OUT_DIR]   (default: this folder)
"""

import shutil
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
SOURCE = "podgate"
PACKAGE = "podgate_api"
DESCRIPTOR_SET = f"{PACKAGE}/descriptors.pb"


def generate(out_dir: Path) -> None:
    """Run protoc on every Podgate .proto: Python code plus the descriptor set."""
    include = str(files("grpc_tools") / "_proto")
    descriptor_set = out_dir / DESCRIPTOR_SET
    descriptor_set.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as staging:
        shutil.copytree(HERE / SOURCE, Path(staging) / PACKAGE)
        protos = sorted(
            p.relative_to(staging).as_posix() for p in Path(staging, PACKAGE).rglob("*.proto")
        )
        args = [
            "protoc",
            f"-I{staging}",
            f"-I{HERE}",
            f"-I{include}",
            f"--python_out={out_dir}",
            f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            f"--descriptor_set_out={descriptor_set}",
            "--include_imports",
            *protos,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
