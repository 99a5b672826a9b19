"""Named, pluggable parts of one kind: the one registry pattern every extension point uses.

Engines, statistics, change detection techniques, alert rules and notifiers are each a
:class:`Registry`: the single source of the names a config, the command line and the docs may
use. Adding a part is one module plus its registration:

- a part whose module is cheap to import registers itself with a decorator,
  ``@REGISTRY.register`` on a class (its ``name`` is its key) or ``@REGISTRY.named("x")`` on a
  function, and the package imports the module;
- a part that pulls a heavy dependency (an engine's database driver, a notifier's HTTP or SMTP
  client) is registered by import path (``lazy={"duckdb": "opwatch.engines.duckdb:DuckDBEngine"}``)
  so that listing the names, as ``opwatch --help`` does, imports nothing.

An unknown name is an :class:`UnknownNameError` that lists the valid ones and guesses the
intended one.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar, cast

from opwatch.errors import OpwatchError

T = TypeVar("T")
Part = TypeVar("Part")


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, or None when nothing is close enough."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A ``did you mean "x"?`` hint for an unknown name, or None."""
    match = closest(word, candidates)
    return f'did you mean "{match}"?' if match else None


class UnknownNameError(OpwatchError, LookupError):
    """A name no part of a registry has; the message lists the valid names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind, self.name, self.known = kind, name, tuple(sorted(known))
        hint = did_you_mean(name, self.known)
        guess = f"; {hint}" if hint else ""
        super().__init__(f'unknown {kind} "{name}"{guess} (valid: {", ".join(self.known)})')


class Registry(Generic[T]):
    """The parts of one ``kind`` by name, some of them loaded on first use."""

    def __init__(
        self,
        kind: str,
        *,
        lazy: Mapping[str, str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self._parts: dict[str, T] = {}
        self._lazy = dict(lazy or {})
        """Name → ``module:attribute`` of parts imported when first asked for."""
        self._aliases = dict(aliases or {})
        """Other names accepted for a part (``default`` → the recommended technique)."""

    def add(self, name: str, part: T) -> T:
        """Register ``part`` under ``name``; a name taken twice is a programming error."""
        if name in self._parts or name in self._lazy or name in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._parts[name] = part
        return part

    def register(self, part: Part) -> Part:
        """Class decorator: register ``part`` under its ``name`` attribute."""
        self.add(getattr(part, "name"), cast(T, part))  # noqa: B009 - any class with a name
        return part

    def named(self, name: str) -> Callable[[T], T]:
        """Decorator: register the function or object it decorates under ``name``."""

        def add(part: T) -> T:
            return self.add(name, part)

        return add

    def get(self, name: str) -> T:
        """The part called ``name`` (or one of its aliases); UnknownNameError otherwise."""
        name = self._aliases.get(name, name)
        if name not in self._parts and name in self._lazy:
            module, _, attribute = self._lazy[name].partition(":")
            self._parts[name] = getattr(importlib.import_module(module), attribute)
        if name not in self._parts:
            raise UnknownNameError(self.kind, name, self.names(aliases=True))
        return self._parts[name]

    def names(self, *, aliases: bool = False) -> tuple[str, ...]:
        """Every registered name, sorted (with the aliases if asked); imports nothing."""
        names = set(self._parts) | set(self._lazy) | (set(self._aliases) if aliases else set())
        return tuple(sorted(names))

    def resolve(self, name: str) -> str:
        """The registered name ``name`` stands for (an alias's target), checked."""
        resolved = self._aliases.get(name, name)
        if resolved not in self._parts and resolved not in self._lazy:
            raise UnknownNameError(self.kind, name, self.names(aliases=True))
        return resolved

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            name in self._parts or name in self._lazy or name in self._aliases
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> Iterator[tuple[str, T]]:
        """Every part with its name (lazy ones imported)."""
        return ((name, self.get(name)) for name in self.names())
