"""Logging set-up: one line per event, as text or JSON, carrying any `extra` fields given.

Text lines must stay one line per event with fields nobody can forge, though their values
(ids, names, messages) often come from a pod's answer or a client's request: string arguments
and extra values that are not plain tokens are quoted with their control characters escaped,
and whatever control characters remain in the message are escaped too.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Literal

__all__ = ["JsonFormatter", "TextFormatter", "escaped", "setup_logging"]

# Attributes every LogRecord has; anything else came in through `extra=` and is printed.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# A value printed as is: printable, no blank, nothing a reader of `key=value` fields splits on.
_PLAIN = re.compile(r"[^\s\"'=\\\x00-\x1f\x7f-\x9f\u2028\u2029]*")
# Characters that could end or rewrite a line: C0/C1 controls, DEL, Unicode line separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(value: str) -> str:
    """`value` as one unforgeable token: itself when plain, else quoted with escapes."""
    if _PLAIN.fullmatch(value):
        return value
    inner = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{_CONTROL.sub(_escape_control, inner)}"'


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger msg key=value ...` on one line (a traceback follows on its own)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(_escape_control, record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        original = record.args
        if isinstance(original, tuple):
            record.args = tuple(_safe_arg(arg) for arg in original)
        try:
            text = super().format(record)
        finally:
            record.args = original
        extras = " ".join(f"{k}={escaped(str(v))}" for k, v in _extras(record).items())
        return f"{text} {extras}" if extras else text


def _safe_arg(arg: object) -> object:
    """Strings (and exceptions, whose text is often someone else's) as unforgeable tokens."""
    if isinstance(arg, str):
        return escaped(arg)
    if isinstance(arg, BaseException):
        return escaped(str(arg))
    return arg


def setup_logging(fmt: Literal["text", "json"] = "text", level: int = logging.INFO) -> None:
    """Send every podgate log line to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
