"""Text log lines: whatever a pod or client supplied cannot break a line or forge a field."""

import json
import logging

import pytest

from control_plane.logs import JsonFormatter, TextFormatter, escaped


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("podgate.test", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("s-1", "s-1"),
        ("vm one", '"vm one"'),
        ("x\npod=evil", '"x\\npod=evil"'),
        ('a"b\\', '"a\\"b\\\\"'),
        ("\x1b[31mred\r", '"\\u001b[31mred\\r"'),
        ("line\u2028sep", '"line\\u2028sep"'),
        ("", ""),
    ],
)
def test_values_are_plain_tokens_or_quoted_with_escapes(value: str, shown: str) -> None:
    assert escaped(value) == shown


def test_a_pod_supplied_id_cannot_add_a_line_or_a_field() -> None:
    forged = "s-1\n2026-01-01 00:00:00,000 INFO podgate.admin pod deleted pod=pod1"
    record = _record("%s recorded server %s in pod %s", "req-1", forged, "pod2", pod="pod2")
    line = TextFormatter().format(record)
    assert "\n" not in line
    assert line.endswith(" pod=pod2")
    assert line.count("pod=") == 2 and "\\npod" not in line and "\\n2026" in line
    assert record.args == ("req-1", forged, "pod2")  # other handlers see the record unchanged


def test_extra_values_and_preformatted_messages_are_escaped_too() -> None:
    record = _record("answer: \r\nfake line", server_name="a b=c", count=3)
    line = TextFormatter().format(record)
    assert line.endswith('answer: \\r\\nfake line server_name="a b=c" count=3')


def test_json_lines_keep_the_values_as_given() -> None:
    line = JsonFormatter().format(_record("%s", "x\ny", server_name="a b"))
    assert "\n" not in line
    document = json.loads(line)
    assert (document["msg"], document["server_name"]) == ("x\ny", "a b")
