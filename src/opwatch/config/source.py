"""Read one TOML config file safely: every way it can be unreadable becomes a diagnostic.

A file is refused before parsing when it is too large (a config is a few kilobytes; a 50 MB file
is a mistake and must not exhaust memory) or not UTF-8; a TOML syntax error is reported at the
line and column the parser names, with a hint for the common cases (a table declared twice).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opwatch.config.diagnostics import Diagnostic
from opwatch.config.locator import KeyLocator

MAX_CONFIG_BYTES = 10 * 1024 * 1024
"""Largest configuration file accepted; the largest real one is about 120 KB."""

_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_DECLARED_TWICE = re.compile(r"Cannot (?:declare|redefine namespace) \((?P<key>[^)]*)\)")
_OVERWRITE = re.compile(r"Cannot overwrite a value")


@dataclass(frozen=True)
class TomlFile:
    """A parsed configuration file with the means to locate its keys."""

    path: Path
    text: str
    data: dict[str, Any]
    locator: KeyLocator

    @property
    def is_empty(self) -> bool:
        """True when the file holds no tables or keys at all (blank or only comments)."""
        return not self.data

    def diagnostic(
        self,
        key_path: tuple[str | int, ...] | list[str | int],
        message: str,
        hint: str | None = None,
        *,
        line: int | None = None,
        **kwargs: Any,
    ) -> Diagnostic:
        """A diagnostic located at ``key_path`` (or the given line) in this file."""
        from opwatch.config.locator import format_key_path

        return Diagnostic(
            file=self.path,
            key_path=format_key_path(key_path),
            message=message,
            hint=hint,
            line=line if line is not None else self.locator.line_of(key_path),
            **kwargs,
        )


def read_toml(path: Path, *, max_bytes: int = MAX_CONFIG_BYTES) -> TomlFile | Diagnostic:
    """Parse ``path``, or return the one diagnostic that says why it cannot be read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Diagnostic(path, "", "file not found", "check the path")
    except OSError as error:
        return Diagnostic(path, "", f"cannot read the file: {error.strerror}", None)
    if size > max_bytes:
        return Diagnostic(
            path,
            "",
            f"file is {size / 1024 / 1024:.1f} MB, larger than the {max_bytes // 1024 // 1024} MB "
            "limit for a configuration file",
            "a configuration holds metric definitions, not data; check that this is the right file",
        )
    raw = path.read_bytes()
    text = _decode(path, raw)
    if isinstance(text, Diagnostic):
        return text
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return _syntax_diagnostic(path, str(error))
    return TomlFile(path=path, text=text, data=data, locator=KeyLocator(text))


def _decode(path: Path, raw: bytes) -> str | Diagnostic:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return Diagnostic(
            path,
            "",
            f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})",
            "TOML files must be UTF-8: re-save the file as UTF-8 (for example with "
            "`iconv -f latin1 -t utf-8`)",
            line=line,
            column=column,
        )
    return text.removeprefix("\ufeff")


def _syntax_diagnostic(path: Path, message: str) -> Diagnostic:
    position = _POSITION.search(message)
    line, column = (int(position.group(1)), int(position.group(2))) if position else (None, None)
    reason = _POSITION.sub("", message).strip()
    hint = "fix the TOML syntax at that position (see https://toml.io)"
    twice = _DECLARED_TWICE.search(reason)
    if twice:
        key = ".".join(part.strip().strip("'\"") for part in twice.group("key").split(",") if part)
        reason = f"duplicate definition: [{key}] is declared more than once in this file"
        hint = "merge the two tables into one, or rename one of them"
    elif _OVERWRITE.search(reason):
        reason = "duplicate definition: this key already has a value in this file"
        hint = "keep one of the two values, or rename one of the keys"
    return Diagnostic(path, "", f"not valid TOML: {reason}", hint, line=line, column=column)
