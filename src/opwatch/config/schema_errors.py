"""Turn pydantic's validation errors into diagnostics a config author can act on.

pydantic reports ``('metrics', 'gc_ms', 'statistics', 'percentil')  extra_forbidden``; the user
needs ``gc.toml:14: metrics.gc_ms.statistics: unknown statistic "percentil" — did you mean
"percentile"?``. This module walks the error location through the models to find the table's
known keys and the expected type, and words the message in TOML's terms, not Python's.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from opwatch.config.diagnostics import Diagnostic, Severity, did_you_mean
from opwatch.config.models import TABLE_NOUNS, ConfigFile, Spec
from opwatch.config.source import TomlFile

Loc = tuple[str | int, ...]
_TYPE_TAG = re.compile(r"^(str|int|float|bool|none|date|[\w-]+\[.*\]|constrained-\w+)$")
_FIELD_ALIASES = {("segment_data_sources",): ("segments", "data_sources")}


def schema_diagnostics(
    file: TomlFile,
    error: ValidationError,
    root: type[BaseModel],
    *,
    unknown_keys: Severity,
    strict_tables: bool = False,
) -> list[Diagnostic]:
    """One diagnostic per wrong place in ``file`` (several pydantic errors may share one).

    An unknown key has the severity ``unknown_keys``; with ``strict_tables``, it is an error in
    any table whose model says ``strict_keys`` whatever that severity is.
    """
    by_path: dict[Loc, list[Any]] = {}
    for item in error.errors():
        path = _clean_loc(item["loc"])
        by_path.setdefault(path, []).append(item)
    return [
        _diagnose(file, root, path, items, unknown_keys, strict_tables)
        for path, items in by_path.items()
    ]


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    """Drop pydantic's union tags and map internal field names back to TOML keys."""
    parts = [p for p in loc if isinstance(p, int) or not _TYPE_TAG.match(p)]
    for internal, toml in _FIELD_ALIASES.items():
        if tuple(parts[: len(internal)]) == internal:
            parts = [*toml, *parts[len(internal) :]]
    return tuple(parts)


def _to_model_loc(path: Loc) -> Loc:
    for internal, toml in _FIELD_ALIASES.items():
        if path[: len(toml)] == toml:
            return (*internal, *path[len(toml) :])
    return path


def _diagnose(
    file: TomlFile,
    root: type[BaseModel],
    path: Loc,
    items: list[Any],
    unknown_keys: Severity,
    strict_tables: bool,
) -> Diagnostic:
    kind = items[0]["type"]
    key_path = (
        path[:-1] if kind in {"extra_forbidden", "missing"} or path[-1:] == ("[key]",) else path
    )
    key_path = tuple(p for p in key_path if p != "[key]")
    key = str(path[-2] if path[-1:] == ("[key]",) else path[-1]) if path else ""
    if kind == "extra_forbidden":
        return _unknown_key(file, root, key_path, key, unknown_keys, strict_tables)
    line = file.locator.line_of(path)
    if kind == "missing":
        return file.diagnostic(
            key_path,
            f'required key "{key}" is missing',
            f"add `{key} = ...` to this table",
            line=line,
        )
    if kind == "literal_error":
        choices = _literal_choices(root, _to_model_loc(path))
        value = items[0]["input"]
        hint = did_you_mean(str(value), choices) or f"use one of: {', '.join(choices)}"
        return file.diagnostic(path, f"{_toml_repr(value)} is not allowed here", hint, line=line)
    if kind == "config_date":
        return file.diagnostic(
            path,
            items[0]["msg"],
            "write dates as 'YYYY-MM-DD', for example '2022-02-14'",
            line=line,
        )
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "model_type":
        annotation = _annotation_at(root, _to_model_loc(path))
        expected = _describe(annotation) if annotation is not None else "another type"
        value = items[0]["input"]
        return file.diagnostic(
            path,
            f"expected {expected}, got {_toml_type(value)} {_toml_repr(value)}",
            f"change the value to {expected}",
            line=line,
        )
    if kind in {"greater_than", "less_than", "greater_than_equal", "less_than_equal"}:
        value = _toml_repr(items[0]["input"])
        bound = items[0]["msg"].removeprefix("Input should be ")
        return file.diagnostic(path, f"{value} is out of range", f"use a value {bound}", line=line)
    return file.diagnostic(path, items[0]["msg"], None, line=line)


def _unknown_key(
    file: TomlFile, root: type[BaseModel], table: Loc, key: str, severity: Severity, strict: bool
) -> Diagnostic:
    model = _model_at(root, _to_model_loc(table))
    if strict and model is not None and model.strict_keys:
        severity = Severity.ERROR
    known = list(model.model_fields) if model else []
    if model is ConfigFile:
        known = [k for k in known if k != "segment_data_sources"]
    noun = model.noun if model else "key"
    if not table:
        noun = "table"
    elif table[-1] in TABLE_NOUNS and model is None:
        noun = TABLE_NOUNS[str(table[-1])]
    hint = did_you_mean(key, known) or (f"known {noun}s: {', '.join(known)}" if known else None)
    if severity is Severity.WARNING:
        hint = f"{hint} (the key is ignored)" if hint else "the key is ignored"
    return file.diagnostic(
        (*table, key),
        f'unknown {noun} "{key}"',
        hint,
        severity=severity,
    )


# --- walking the models along a location ----------------------------------------------------


def _annotation_at(root: type[BaseModel], loc: Loc) -> Any:
    annotation: Any = root
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    return annotation


def _model_at(root: type[BaseModel], loc: Loc) -> type[Spec] | None:
    annotation = _annotation_at(root, loc)
    for candidate in _members(annotation):
        if isinstance(candidate, type) and issubclass(candidate, Spec):
            return candidate
    return None


def _step(annotation: Any, part: str | int) -> Any:
    for member in _members(annotation):
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(part, str):
            field = member.model_fields.get(part) or _by_alias(member, part)
            if field is not None:
                return field
        elif origin is dict and isinstance(part, str):
            return get_args(member)[1]
        elif origin is list and isinstance(part, int):
            return get_args(member)[0]
    return None


def _by_alias(model: type[BaseModel], alias: str) -> Any:
    for field in model.model_fields.values():
        choices = getattr(field.validation_alias, "choices", ())
        if alias in choices:
            return field.annotation
    return None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (``X | None``, ``Annotated[...]``) or the annotation itself."""
    if hasattr(annotation, "annotation") and not isinstance(annotation, type):
        annotation = annotation.annotation  # a pydantic FieldInfo
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _literal_choices(root: type[BaseModel], loc: Loc) -> list[str]:
    annotation = _annotation_at(root, loc)
    return [str(c) for m in _members(annotation) if get_origin(m) is Literal for c in get_args(m)]


def _describe(annotation: Any) -> str:
    names = []
    for member in _members(annotation):
        origin = get_origin(member)
        if member is type(None):
            continue
        if origin is list:
            names.append(f"a list of {_plural(get_args(member)[0])}")
        elif origin is dict or (isinstance(member, type) and issubclass(member, BaseModel)):
            names.append("a table")
        elif origin is Literal:
            names.append("one of " + ", ".join(repr(c) for c in get_args(member)))
        else:
            names.append(_SCALAR_NAMES.get(member, str(member)))
    if "an integer" in names and "a number" in names:
        names.remove("an integer")
    return " or ".join(dict.fromkeys(names))


def _plural(annotation: Any) -> str:
    words = {"a string": "strings", "an integer": "integers", "a number": "numbers"}
    return " or ".join(
        dict.fromkeys(words.get(_describe(m), "values") for m in _members(annotation))
    )


_SCALAR_NAMES: dict[Any, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    date: "a date",
}


def _toml_type(value: Any) -> str:
    names = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
        date: "date",
    }
    return next((name for kind, name in names.items() if isinstance(value, kind)), "value")


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{...}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
