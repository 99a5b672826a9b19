"""Resolve a data source by name: its snippets expanded and parsed, its columns defaulted."""

from __future__ import annotations

from opwatch.config.app_datasets import app_dataset
from opwatch.config.checks import CheckContext
from opwatch.config.models import DataSourceSpec
from opwatch.config.resolved import (
    DEFAULT_BUILD_ID_COLUMN,
    DEFAULT_CLIENT_ID_COLUMN,
    DEFAULT_SUBMISSION_DATE_COLUMN,
    DataSource,
)
from opwatch.config.sql_check import SnippetKind

COLUMN_KEYS = ("submission_date_column", "client_id_column", "build_id_column")
NO_CLIENT_ID = "NULL"
"""``client_id_column = "NULL"``: a table without clients (aggregates)."""


class DataSourceResolver:
    """Data sources of one project, each resolved once however often it is used."""

    def __init__(self, context: CheckContext) -> None:
        self.context = context
        self.resolved: dict[str, DataSource] = {}
        self._unusable: set[str] = set()  # defined, but already reported as broken

    def get(self, name: str, used_at: tuple[str, ...]) -> DataSource | None:
        """The data source ``name``, or None after reporting why it is unusable."""
        if name in self.resolved or name in self._unusable:
            return self.resolved.get(name)
        spec = self.context.config.data_sources.get(name)
        if spec is None:
            self.context.undefined("data source", "data_sources", name, used_at, item=False)
            return None
        source = self._resolve(name, spec)
        if source is None:
            self._unusable.add(name)
        else:
            self.resolved[name] = source
        return source

    def _resolve(self, name: str, spec: DataSourceSpec) -> DataSource | None:
        path = ("data_sources", name)
        if not spec.from_expression:
            self.context.error(
                path,
                f'data source "{name}" has no from_expression',
                "add from_expression, a table name or a (SELECT ...) subquery",
            )
            return None
        from_sql = self.context.snippets.expand(
            (*path, "from_expression"),
            spec.from_expression,
            SnippetKind.FROM,
            self._dataset() or spec.default_dataset,
        )
        columns = self._columns(name, spec)
        self._check_joins(name, spec)
        if from_sql is None or columns is None:
            return None
        client_id = columns.get("client_id_column", DEFAULT_CLIENT_ID_COLUMN)
        return DataSource(
            name=name,
            from_expression=from_sql,
            submission_date_column=columns.get(
                "submission_date_column", DEFAULT_SUBMISSION_DATE_COLUMN
            ),
            client_id_column=None if client_id == NO_CLIENT_ID else client_id,
            build_id_column=columns.get("build_id_column", DEFAULT_BUILD_ID_COLUMN),
            experiments_column_type=spec.experiments_column_type,
            friendly_name=spec.friendly_name,
            description=spec.description,
        )

    def _dataset(self) -> str | None:
        """What ``{dataset}`` stands for in this project, before ``default_dataset``."""
        project = self.context.config.project
        if project is None:
            return None
        channel = project.population.channel if project.population else None
        return app_dataset(project.platform, channel)

    def _columns(self, name: str, spec: DataSourceSpec) -> dict[str, str] | None:
        """The configured column expressions, parsed; None if any fails to parse."""
        columns: dict[str, str] = {}
        ok = True
        for key in COLUMN_KEYS:
            value = getattr(spec, key)
            if value:
                expanded = self.context.snippets.expand(
                    ("data_sources", name, key), value, SnippetKind.EXPRESSION
                )
                ok = ok and expanded is not None
                columns[key] = expanded or value
        return columns if ok else None

    def _check_joins(self, name: str, spec: DataSourceSpec) -> None:
        for join_name, join in (spec.joins or {}).items():
            if join.on_expression:
                self.context.snippets.expand(
                    ("data_sources", name, "joins", join_name, "on_expression"),
                    join.on_expression,
                    SnippetKind.EXPRESSION,
                )
