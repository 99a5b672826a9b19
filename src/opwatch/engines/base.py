"""The engine interface: render a plan in the engine's dialect and run it.

An engine is a small class of flags and templates, as a sqlglot dialect is: its name, its
dialect, the statement templates that materialize the per-client table and replace a result
table's partitions (``engines/templates/<engine>/``, falling back to ``default/``), and how it
executes them. The pipeline calls the same methods whatever the engine; there is no
``if engine == ...`` anywhere else.

What a run computes is kept and read back by the two objects an engine hands out,
:attr:`Engine.results` and :attr:`Engine.reads` (:mod:`opwatch.engines.results`). An engine
that renders SQL but has no session yet (Spark, BigQuery) inherits refusals that say what to do.
"""

from __future__ import annotations

import re
from abc import ABC
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar

import jinja2

from opwatch.config.resolved import ResultKind, result_table
from opwatch.config.settings import Settings
from opwatch.engines.compat import compat_statements
from opwatch.engines.results import ResultReads, ResultWrites
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
    slug = plan.project.slug
    keys = ("client_id", "branch", "build_id", *plan.dimensions)
    outputs, cleared = [], []
    kinds: tuple[tuple[ResultKind, str | None, tuple[str, ...]], ...] = (
        ("scalar", queries.scalar, ("name", "agg_type", "value")),
        ("histogram", queries.histogram, ("probe", "value")),
    )
    for kind, query, value_columns in kinds:
        if query is None:
            cleared.append(result_table(slug, kind))
        else:
            outputs.append(TableOutput(result_table(slug, kind), query, (*keys, *value_columns)))
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

    def write(self, output: RunOutput) -> dict[date, int]:
        """Run ``output``, replacing its partitions; the number of client rows per day."""
        raise self._cannot(
            "run SQL",
            f"use `opwatch render {output.plan.project.slug} --engine {self.name}` and run the "
            'script there, or run on the embedded engine (engine.name = "duckdb")',
            project=output.plan.project.slug,
        )

    @property
    def reads(self) -> ResultReads:
        """Where this engine's result tables are read back."""
        raise self._cannot("read results", 'serve results written by engine.name = "duckdb"')

    @property
    def results(self) -> ResultWrites:
        """Where this engine stores result tables (one writer at a time)."""
        raise self._cannot("store results", 'set engine.name = "duckdb" to run')

    def close(self) -> None:  # noqa: B027 - engines without a session have nothing to close
        """Release the engine's session."""

    def _cannot(self, what: str, fix: str, project: str | None = None) -> EngineError:
        """The error of an engine that renders SQL but cannot ``what`` from opwatch yet."""
        return EngineError(
            f"this engine renders SQL but cannot {what} from opwatch yet; {fix}",
            project=project,
            engine=self.name,
        )


@cache
def _templates(engine: str) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("opwatch.engines", f"templates/{engine}"),
            jinja2.PackageLoader("opwatch.engines", "templates/default"),
        ]
    )
    return sql_environment(loader)
