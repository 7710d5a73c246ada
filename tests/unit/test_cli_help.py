"""Every `podgate` command's --help ends with examples, and each example is a command line the
real parser accepts for that very command: examples cannot rot when a flag is renamed."""

import argparse
import shlex

import pytest

from control_plane.cli import _parser

_HEADING = "\nexamples:\n"


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """`parser` and every subcommand under it, each with the words that select it."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _commands(child, (*path, name))
    return found


COMMANDS = _commands(_parser())


def _examples(help_text: str) -> list[list[str]]:
    """The argv of each example, continuation lines joined as a shell would."""
    section = help_text.partition(_HEADING)[2].replace("\\\n", " ")
    return [shlex.split(line) for line in section.splitlines() if line.strip()]


def test_the_tree_is_walked() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {(), ("pod",), ("pod", "create"), ("routing", "show"), ("serve",)} <= paths


@pytest.mark.parametrize(
    ("path", "parser"), COMMANDS, ids=[" ".join(path) or "podgate" for path, _ in COMMANDS]
)
def test_help_ends_with_examples_of_this_command_that_parse(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    help_text = parser.format_help()
    assert _HEADING in help_text
    examples = _examples(help_text)
    assert examples
    for argv in examples:
        assert argv[0] == "podgate", argv
        args = _parser().parse_args(argv[1:])
        chosen = (args.command, getattr(args, "verb", None))
        assert chosen[: len(path)] == path, f"{shlex.join(argv)} is not a `{' '.join(path)}`"
