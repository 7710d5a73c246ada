"""How every `podgate` command's --help ends: concrete command lines to copy.

tests/unit/test_cli_help.py parses each example with the real parser, so they cannot rot.
"""

import argparse

__all__ = ["add_examples"]

_WIDTH = 88
_CONTINUED = " \\\n      "


def add_examples(parser: argparse.ArgumentParser, *commands: str) -> None:
    """End `parser`'s help with an `examples:` section, one command each, long ones wrapped."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "examples:\n" + "\n".join(f"  {_wrapped(command)}" for command in commands)


def _wrapped(command: str) -> str:
    """`command` broken before its options, shell-style, so no line is much wider than _WIDTH."""
    first, *options = command.split(" --")
    lines = [first]
    for option in options:
        if len(lines[-1]) + len(option) + 3 > _WIDTH:
            lines.append(f"--{option}")
        else:
            lines[-1] += f" --{option}"
    return _CONTINUED.join(lines)
