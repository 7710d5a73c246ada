"""Refresh README.md's benchmark table from bench/results/latest.json.

    python -m bench.readme [--readme README.md] [--results bench/results/latest.json]

Only the text between the `<!-- bench:start -->` and `<!-- bench:end -->` markers changes.
"""

import argparse
import json
from pathlib import Path

from bench.results import markdown_table

__all__ = ["END", "START", "refresh"]

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
_ROOT = Path(__file__).resolve().parent.parent


def refresh(readme: str, table: str) -> str:
    """`readme` with the text between the markers replaced by `table`; ValueError without them."""
    start = readme.find(START)
    end = readme.find(END, start + len(START)) if start >= 0 else -1
    if start < 0 or end < 0:
        raise ValueError(f"README has no {START} ... {END} section")
    return f"{readme[: start + len(START)]}\n{table}\n{readme[end:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=_ROOT / "README.md")
    parser.add_argument("--results", type=Path, default=_ROOT / "bench/results/latest.json")
    args = parser.parse_args()
    table = markdown_table(json.loads(args.results.read_text()))
    try:
        args.readme.write_text(refresh(args.readme.read_text(), table))
    except ValueError as error:
        raise SystemExit(f"{args.readme}: {error}") from error
    print(f"{args.readme}: benchmark table refreshed from {args.results}")


if __name__ == "__main__":
    main()
