"""The engine interface: run a rendered plan, replace result partitions, read results back.

An engine is a small class of flags and templates, as a sqlglot dialect is: its name, its
dialect, the statement templates that materialize the per-client table and replace a result
table's partitions (``engines/templates/<engine>/``, falling back to ``default/``), and how it
executes them. The pipeline calls the same methods whatever the engine; there is no
``if engine == ...`` anywhere else.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar

import jinja2
import numpy as np

from opwatch.config.settings import Settings
from opwatch.engines.compat import compat_statements
from opwatch.errors import EngineError
from opwatch.sql.environment import sql_environment
from opwatch.sql.plan import QueryPlan
from opwatch.sql.render import CLIENTS_TABLE, RunQueries, render_run
from opwatch.sql.translate import TableMap

STATEMENT_SEPARATOR = re.compile(r"^;\s*$", re.MULTILINE)
RESULTS_DATASET = "operational_monitoring"
"""Dataset (BigQuery) or database (Spark) of result tables on remote engines."""


@dataclass(frozen=True)
class TableOutput:
    """One result table a run writes: its name, the query of its rows, its columns."""

    table: str
    query: str
    columns: tuple[str, ...]
    """Columns other than ``submission_date``, in the query's order."""


@dataclass(frozen=True)
class RunOutput:
    """What one run of a project writes: the per-client table and the tables built from it."""

    plan: QueryPlan
    clients_query: str
    tables: tuple[TableOutput, ...]
    cleared: tuple[str, ...]
    """Result tables this project no longer fills (no metric of that type): their partitions
    for the run's dates are removed so that a rerun never leaves stale rows."""


def result_tables(plan: QueryPlan, queries: RunQueries) -> tuple[list[TableOutput], list[str]]:
    """The scalar and histogram outputs of a run, and the tables it clears."""
    slug = plan.project.table_slug
    keys = ("client_id", "branch", "build_id", *plan.dimensions)
    outputs, cleared = [], []
    for kind, query, value_columns in (
        ("scalar", queries.scalar, ("name", "agg_type", "value")),
        ("histogram", queries.histogram, ("probe", "value")),
    ):
        if query is None:
            cleared.append(f"{slug}_{kind}")
        else:
            outputs.append(TableOutput(f"{slug}_{kind}", query, (*keys, *value_columns)))
    return outputs, cleared


class Engine(ABC):
    """A place where opwatch's SQL runs."""

    name: ClassVar[str]
    dialect: ClassVar[str]
    can_execute: ClassVar[bool] = True
    per_day_writes: ClassVar[bool] = False
    """Whether a table's partitions are written one statement per day (else one per run)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def table_map(self) -> TableMap:
        """Where the tables configs name live on this engine."""
        return TableMap()

    def prepare(self, plan: QueryPlan) -> RunOutput:
        """Render ``plan`` for this engine."""
        queries = render_run(plan, self.dialect, self.table_map())
        outputs, cleared = result_tables(plan, queries)
        return RunOutput(plan, queries.clients, tuple(outputs), tuple(cleared))

    def script(self, output: RunOutput) -> list[str]:
        """Every statement a run of ``output`` executes, in order (``opwatch render`` prints it)."""
        statements = list(self.setup_statements())
        statements += self.statements("materialize", name=CLIENTS_TABLE, query=output.clients_query)
        for table in output.tables:
            statements += self.write_statements(output, table)
        statements += self.statements("drop", name=CLIENTS_TABLE)
        return statements

    def setup_statements(self) -> list[str]:
        """Statements a session runs first (compatibility functions)."""
        return compat_statements(self.dialect)

    def write_statements(self, output: RunOutput, table: TableOutput) -> list[str]:
        """Statements replacing ``table``'s partitions for the run's dates."""
        dates = output.plan.run_dates
        if self.per_day_writes:
            return [
                statement
                for day in dates
                for statement in self.statements(
                    "write_partition", output=table, day=day, path=self.partition_path(table, day)
                )
            ]
        return self.statements(
            "write_partitions", output=table, dates=dates, dataset=RESULTS_DATASET
        )

    def partition_path(self, table: TableOutput, day: date) -> str:
        """Where a per-day write puts ``table``'s partition of ``day``."""
        return f"{table.table}/submission_date={day.isoformat()}"

    def statements(self, template: str, **context: Any) -> list[str]:
        """The statements of this engine's ``template`` (or the default one), rendered."""
        text = _templates(self.name).get_template(f"{template}.sql.j2").render(context)
        return [part.strip() for part in STATEMENT_SEPARATOR.split(text) if part.strip()]

    @abstractmethod
    def write(self, output: RunOutput) -> dict[date, int]:
        """Run ``output``, replacing its partitions; the number of client rows per day."""

    def replace_table(
        self, table: str, rows: list[dict[str, Any]], key: str, columns: dict[str, str]
    ) -> None:
        """Replace the rows of ``table`` whose ``key`` is among ``rows``' (``projects_v1``).

        ``columns`` maps each column to an engine-neutral type (string, date, bool, timestamp,
        string[], json).
        """
        raise EngineError(
            f"{table}: the {self.name} engine cannot write tables yet", engine=self.name
        )

    def read(
        self,
        query: str,
        parameters: list[Any] | None = None,
        *,
        sorted_by: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` over the result tables, named as written (``<slug>_scalar``).

        Reads never wait for a run and never see a partition half written. ``sorted_by``
        names tables the query filters by the leading columns given (a dashboard reads a
        metric's rows): an engine that can keep a copy sorted that way reads from it.
        """
        raise EngineError(f"the {self.name} engine cannot read results yet", engine=self.name)

    def read_columns(self, query: str, parameters: list[Any] | None = None) -> dict[str, Any]:
        """Like :meth:`read`, column by column as numpy arrays (NULL → masked), for the
        statistics step, which reads millions of client values at a time."""
        raise EngineError(f"the {self.name} engine cannot read results yet", engine=self.name)

    def has_results(self, table: str) -> bool:
        """Whether result table ``table`` holds any rows."""
        return False

    def table_version(self, table: str) -> str | None:
        """A token that changes whenever ``table`` does (None: unknown, do not cache)."""
        return None

    def write_rows(
        self, table: str, rows: Any, days: tuple[date, ...], order_by: tuple[str, ...] = ()
    ) -> None:
        """Replace ``table``'s partitions of ``days`` by ``rows`` (a pyarrow Table with a
        ``submission_date`` column), sorted by ``order_by``; a day without rows loses its
        partition."""
        raise EngineError(
            f"{table}: the {self.name} engine cannot write rows yet", engine=self.name
        )

    def write_table(self, table: str, rows: Any) -> None:
        """Replace the whole of unpartitioned ``table`` by ``rows`` (a pyarrow Table, possibly
        empty: the table then has no rows, but keeps its columns)."""
        raise EngineError(
            f"{table}: the {self.name} engine cannot write tables yet", engine=self.name
        )

    def writer_lock(self) -> AbstractContextManager[None]:
        """Held while a run writes results: one writer at a time."""
        return nullcontext()

    def close(self) -> None:  # noqa: B027 - engines without a session have nothing to close
        """Release the engine's session."""


@cache
def _templates(engine: str) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("opwatch.engines", f"templates/{engine}"),
            jinja2.PackageLoader("opwatch.engines", "templates/default"),
        ]
    )
    return sql_environment(loader)


def plain_value(value: Any) -> Any:
    """A value of :meth:`Engine.read_columns` as Python: numpy scalars unwrapped, NULL
    (masked) and NaN as None."""
    if value is np.ma.masked or value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
