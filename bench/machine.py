"""What the numbers were measured on, for latest.json."""

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["describe", "parse_cpuinfo", "parse_envoy_version", "parse_meminfo"]

_ENVOY_VERSION = re.compile(r"version: [0-9a-f]+/([^/\s]+)/")


def parse_cpuinfo(text: str) -> str:
    """The first `model name` in /proc/cpuinfo."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or "unknown"


def parse_meminfo(text: str) -> float:
    """MemTotal from /proc/meminfo, in GiB."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def parse_envoy_version(text: str) -> str:
    """ "1.40.0" from `envoy --version` ("<binary>  version: <sha>/1.40.0/Clean/RELEASE/...")."""
    match = _ENVOY_VERSION.search(text)
    return match.group(1) if match else text.strip()


def describe(envoy: str) -> dict[str, Any]:
    """CPU model, cores, RAM, Envoy and Python versions, and today's date (UTC)."""
    version = subprocess.run([envoy, "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu": parse_cpuinfo(Path("/proc/cpuinfo").read_text()),
        "cores": os.cpu_count(),
        "ram_gib": parse_meminfo(Path("/proc/meminfo").read_text()),
        "envoy": parse_envoy_version(version.stdout),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
