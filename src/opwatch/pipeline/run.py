"""Run projects for days: decide what is due, run it in batches, record how it went.

A requested day of a project is *due* unless it was computed successfully with the current
configuration: so an interrupted backfill, rerun, carries on where it stopped, and a failed day
is retried when asked for again. Days computed with another configuration are due too, asked
for or not: a changed config regenerates every day it wrote, its whole window. Due days of a
submission-date project are computed ``batch_days`` at a time by one query (its input is read
once per batch); a build-id project computes one day at a time, over its own 14-day window.

A failing batch is recorded as failed and the run goes on with the next one (its previous
partitions are left intact by the engine); the result says what failed, and the CLI exits 4.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from opwatch.config.resolved import Project
from opwatch.engines.base import Engine
from opwatch.errors import EngineError, OpwatchError, RenderError
from opwatch.pipeline.database import now
from opwatch.pipeline.metadata import PROJECTS_COLUMNS, PROJECTS_TABLE, config_hash, project_row
from opwatch.pipeline.serving import publish_serving
from opwatch.pipeline.state import FAILED, SUCCESS, DayRun, RunState
from opwatch.pipeline.statistics import StatisticsStep
from opwatch.sql.plan import plan_run

log = logging.getLogger("opwatch.run")


@dataclass(frozen=True)
class Batch:
    """Consecutive days of one project computed by one query."""

    project: Project
    days: tuple[date, ...]
    config_hash: str


@dataclass
class ProjectRun:
    """What happened to one project in a run."""

    slug: str
    computed: dict[date, int] = field(default_factory=dict)
    """Days computed, with their number of client rows."""
    skipped: list[date] = field(default_factory=list)
    """Days already done with the current configuration."""
    inactive: list[date] = field(default_factory=list)
    """Days outside the project's dates (start_date…end_date), or all days of a skipped project."""
    failed: dict[date, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class RunResult:
    """What a run did, per project."""

    projects: dict[str, ProjectRun] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no day failed."""
        return not any(run.failed for run in self.projects.values())


class RunProgress(Protocol):
    """Told how many days a run will compute, then of each batch done."""

    def start(self, days: int) -> None:
        """The run will compute ``days`` project-days."""

    def advance(self, batch: Batch) -> None:
        """``batch`` is done (computed or failed)."""


class Runner:
    """Runs projects on one engine, recording state."""

    def __init__(
        self, engine: Engine, state: RunState, batch_days: int = 7, *, statistics: bool = True
    ) -> None:
        self.engine = engine
        self.state = state
        self.batch_days = batch_days
        self.statistics = statistics
        """Whether batches also compute ``<slug>_statistics`` (benchmarks time the ETL alone)."""
        self._clients_sql: dict[str, str] = {}
        """Each project's per-client query of its last batch, for ``projects_v1``."""

    def plan(
        self,
        projects: list[Project],
        days: list[date],
        *,
        force: bool = False,
        within_window: bool = True,
    ) -> tuple[list[Batch], RunResult]:
        """The batches due for ``days`` (plus stale days), and a result listing skipped days.

        ``within_window=False`` ignores the projects' own dates and ``skip`` (the demo runs
        real configs from years ago on today's synthetic data).
        """
        _check_unique_slugs(projects)
        result = RunResult()
        batches: list[Batch] = []
        for project in projects:
            run = result.projects.setdefault(project.slug, ProjectRun(project.slug))
            active = [d for d in days if not within_window or is_active(project, d)]
            run.inactive = sorted(set(days) - set(active))
            digest = config_hash(project)
            due, run.skipped = self._due_days(
                project, digest, active, within_window=within_window, force=force
            )
            batches += [Batch(project, chunk, digest) for chunk in self._chunks(project, due)]
        return batches, result

    def run(
        self,
        projects: list[Project],
        days: list[date],
        *,
        force: bool = False,
        within_window: bool = True,
        progress: RunProgress | None = None,
    ) -> RunResult:
        """Compute every due day of ``projects`` among ``days``; write ``projects_v1``."""
        if not self.engine.can_execute:
            raise EngineError(
                "this engine renders SQL (opwatch render --engine ...) but cannot run it from "
                'opwatch yet; set engine.name = "duckdb" to run',
                engine=self.engine.name,
            )
        with self.engine.results.writer_lock():
            batches, result = self.plan(projects, days, force=force, within_window=within_window)
            if progress is not None:
                progress.start(sum(len(batch.days) for batch in batches))
            for batch in batches:
                self._run_batch(batch, result.projects[batch.project.slug])
                if progress is not None:
                    progress.advance(batch)
            if self.statistics:
                self._publish_serving(projects)
            self._write_metadata(projects, days)
        return result

    def _due_days(
        self, project: Project, current: str, days: list[date], *, within_window: bool, force: bool
    ) -> tuple[list[date], list[date]]:
        recorded = self.state.days(project.slug)

        def done(day: date) -> bool:
            run = recorded.get(day)
            return run is not None and run.status == SUCCESS and run.config_hash == current

        stale = {
            day
            for day, run in recorded.items()
            if run.config_hash != current and (not within_window or is_active(project, day))
        }
        wanted = set(days) | stale
        due = sorted(day for day in wanted if (force and day in days) or not done(day))
        skipped = sorted(day for day in days if day not in due)
        if stale:
            log.info(
                "%s: configuration changed, recomputing %d earlier days", project.slug, len(stale)
            )
        return due, skipped

    def _chunks(self, project: Project, days: list[date]) -> Iterator[tuple[date, ...]]:
        """Consecutive runs of ``days``, cut at ``batch_days`` (one day for build_id)."""
        size = 1 if project.xaxis == "build_id" else self.batch_days
        chunk: list[date] = []
        for day in days:
            if chunk and ((day - chunk[-1]).days != 1 or len(chunk) == size):
                yield tuple(chunk)
                chunk = []
            chunk.append(day)
        if chunk:
            yield tuple(chunk)

    def _run_batch(self, batch: Batch, run: ProjectRun) -> None:
        project, started, clock = batch.project, now(), time.perf_counter()
        try:
            output = self.engine.prepare(plan_run(project, list(batch.days)))
            clients = self.engine.write(output)
            self._clients_sql[project.slug] = output.clients_query
            statistics = (
                StatisticsStep(self.engine).run(project, batch.days) if self.statistics else 0
            )
        except OpwatchError as error:
            message = str(error)
            self._record(batch, started, FAILED, {}, message)
            run.failed.update(dict.fromkeys(batch.days, message))
            log.error("%s: %s…%s failed: %s", project.slug, batch.days[0], batch.days[-1], message)
            return
        finally:
            run.seconds += time.perf_counter() - clock
        self._record(batch, started, SUCCESS, clients, None)
        run.computed.update(clients)
        log.info(
            "%s: %s…%s (%d days): %d client rows, %d statistics rows in %.1f s",
            project.slug,
            batch.days[0],
            batch.days[-1],
            len(batch.days),
            sum(clients.values()),
            statistics,
            time.perf_counter() - clock,
        )

    def _record(
        self,
        batch: Batch,
        started: datetime,
        status: str,
        clients: dict[date, int],
        error: str | None,
    ) -> None:
        finished = now()
        self.state.record(
            DayRun(
                project=batch.project.slug,
                submission_date=day,
                config_hash=batch.config_hash,
                status=status,
                engine=self.engine.name,
                started_at=started,
                finished_at=finished,
                clients=clients.get(day),
                error=error,
            )
            for day in batch.days
        )

    def _publish_serving(self, projects: list[Project]) -> None:
        """The dashboards' copy of each project's statistics, where they changed."""
        for project in projects:
            clock = time.perf_counter()
            try:
                publish_serving(self.engine, project)
            except OpwatchError as error:  # the dashboards fall back to the partitions
                log.error("%s: serving copy not written: %s", project.slug, error)
                continue
            log.debug("%s: serving copy in %.1f s", project.slug, time.perf_counter() - clock)

    def _write_metadata(self, projects: list[Project], days: list[date]) -> None:
        rows = [project_row(project, self._used_sql(project, days)) for project in projects]
        if rows and self.engine.can_execute:
            self.engine.results.replace_table(PROJECTS_TABLE, rows, "slug", PROJECTS_COLUMNS)

    def _used_sql(self, project: Project, days: list[date]) -> str | None:
        """The per-client query of the project's last batch of this run; for a project with
        nothing due, the query of the last day asked for (what its results were made by, as
        its configuration hash is unchanged)."""
        if project.slug in self._clients_sql or not days:
            return self._clients_sql.get(project.slug)
        try:
            return self.engine.prepare(plan_run(project, [max(days)])).clients_query
        except OpwatchError:
            return None


def _check_unique_slugs(projects: list[Project]) -> None:
    """Two projects with one slug would overwrite each other's tables and run state."""
    seen: dict[str, Project] = {}
    for project in projects:
        other = seen.setdefault(project.slug, project)
        if other is not project:
            files = [str(p.source_files[-1]) for p in (other, project) if p.source_files]
            raise RenderError(
                f'two projects are named "{project.slug}" ({" and ".join(files)}); their results '
                "would overwrite each other: run them with different results folders, or "
                "rename one file"
            )


def is_active(project: Project, day: date) -> bool:
    """Whether ``project`` is monitored on ``day`` (not skipped, within its dates)."""
    if project.skip:
        return False
    if project.start_date is not None and day < project.start_date:
        return False
    return project.end_date is None or day <= project.end_date
