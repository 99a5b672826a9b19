"""Find the line of a TOML key path, so that every diagnostic can point into the file.

``tomllib`` returns plain dictionaries without positions. This scanner reads the text once and
records where each table header, key and string array item starts. It understands what OpMon
configs contain (headers, dotted and quoted keys, inline tables, multi-line strings and arrays);
for anything it cannot place, :meth:`KeyLocator.line_of` falls back to the nearest enclosing key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

KeyPath = tuple[str, ...]

_KEY_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)')
_HEADER = re.compile(r"^\s*\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(
    r'^\s*(?P<key>(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_.\-\s])+?)\s*=\s*(?P<value>.*)$'
)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_INLINE_KEY = re.compile(r"(?:^|[{,])\s*([A-Za-z0-9_-]+)\s*=")


def split_key(dotted: str) -> KeyPath:
    """Split a TOML dotted key (``a."b.c".d``) into its parts."""
    parts = []
    for match in _KEY_TOKEN.finditer(dotted):
        double, single, bare = match.groups()
        parts.append(double if double is not None else single if single is not None else bare)
    return tuple(parts)


def format_key_path(path: Sequence[str | int]) -> str:
    """``("metrics", "gc_ms", "statistics")`` → ``metrics.gc_ms.statistics``; list indexes in []."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


class KeyLocator:
    """Line numbers (1-based) of the keys and array items of one TOML text."""

    def __init__(self, text: str) -> None:
        self._key_lines: dict[KeyPath, int] = {}
        self._item_lines: dict[tuple[KeyPath, str], int] = {}
        self._body_lines: dict[KeyPath, int] = {}
        self._scan(text.splitlines())

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its longest prefix that appears in the file."""
        keys = tuple(part for part in path if isinstance(part, str))
        while keys:
            if keys in self._key_lines:
                return self._key_lines[keys]
            keys = keys[:-1]
        return None

    def has(self, path: Sequence[str]) -> bool:
        """Whether this exact key path is written in the file."""
        return tuple(path) in self._key_lines

    def item_line(self, path: Sequence[str], item: str) -> int | None:
        """The line of a string item of the array at ``path`` (falls back to the key's line)."""
        return self._item_lines.get((tuple(path), item)) or self.line_of(path)

    def string_body_line(self, path: Sequence[str]) -> int | None:
        """The line holding the first character of the string value at ``path``."""
        return self._body_lines.get(tuple(path)) or self.line_of(path)

    def _record(self, path: KeyPath, line: int) -> None:
        self._key_lines.setdefault(path, line)

    def _scan(self, lines: list[str]) -> None:
        table: KeyPath = ()
        closing: str | None = None  # the delimiter that ends a multi-line string in progress
        array: tuple[KeyPath, int] | None = None  # the array being read and its bracket depth
        for number, line in enumerate(lines, start=1):
            if closing is not None:
                if closing in line:
                    closing = None
                continue
            if array is not None:
                array = self._scan_array_line(array, line, number)
                continue
            header = _HEADER.match(line)
            if header:
                table = split_key(header.group("key"))
                for depth in range(1, len(table) + 1):
                    self._record(table[:depth], number)
                continue
            assignment = _ASSIGNMENT.match(line)
            if not assignment:
                continue
            path = table + split_key(assignment.group("key"))
            for depth in range(len(table) + 1, len(path) + 1):
                self._record(path[:depth], number)
            closing, array = self._scan_value(path, assignment.group("value"), number)

    def _scan_value(
        self, path: KeyPath, value: str, number: int
    ) -> tuple[str | None, tuple[KeyPath, int] | None]:
        """Record what a value line reveals; return an open multi-line string or array."""
        for delimiter in ('"""', "'''"):
            if value.startswith(delimiter):
                rest = value[3:]
                self._body_lines[path] = number if rest.strip() else number + 1
                return (None if delimiter in rest else delimiter), None
        self._body_lines[path] = number
        if value.startswith("{"):
            for key in _INLINE_KEY.findall(_QUOTED.sub('""', value)):
                self._record((*path, key), number)
            return None, None
        if value.startswith("["):
            return None, self._scan_array_line((path, 0), value, number)
        return None, None

    def _scan_array_line(
        self, array: tuple[KeyPath, int], line: str, number: int
    ) -> tuple[KeyPath, int] | None:
        path, depth = array
        for quoted in _QUOTED.findall(line):
            self._item_lines.setdefault((path, quoted[1:-1]), number)
        code = _QUOTED.sub('""', line).split("#", 1)[0]
        depth += code.count("[") - code.count("]")
        return (path, depth) if depth > 0 else None
