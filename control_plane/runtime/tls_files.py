"""Certificate and key files on disk: read as a checked pair, and noticed when they change."""

import os
import ssl
from pathlib import Path

__all__ = ["TlsFilesError", "read_pair", "stamp"]

Stamp = tuple[tuple[int, int, int], ...]


class TlsFilesError(ValueError):
    """The files are unreadable, or the key is not the certificate's."""


def read_pair(cert_file: Path, key_file: Path) -> tuple[bytes, bytes]:
    """Both files' PEM bytes, once the key is known to belong to the certificate.

    Read, checked, read again: a pair caught between the rewrite of one file and the other is
    refused rather than handed on, and the next look finds it whole.
    """
    before = _read(cert_file, key_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # An encrypted key fails here instead of asking for a passphrase on the terminal.
        context.load_cert_chain(cert_file, key_file, password="")
    except ssl.SSLError as exc:
        raise TlsFilesError(f"{key_file} is not the key of {cert_file}: {exc}") from exc
    if _read(cert_file, key_file) != before:
        raise TlsFilesError(f"{cert_file} or {key_file} changed while being read")
    return before


def stamp(*files: Path) -> Stamp:
    """What changes when a file is rewritten or replaced (a rename gives a new inode): cheap to
    compare on every TLS handshake. A missing file has the stamp (0, 0, 0)."""
    stamps = []
    for path in files:
        try:
            info = os.stat(path)
        except OSError:
            stamps.append((0, 0, 0))
        else:
            stamps.append((info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(stamps)


def _read(cert_file: Path, key_file: Path) -> tuple[bytes, bytes]:
    try:
        return cert_file.read_bytes(), key_file.read_bytes()
    except OSError as exc:
        raise TlsFilesError(f"cannot read {exc.filename}: {exc.strerror}") from exc
