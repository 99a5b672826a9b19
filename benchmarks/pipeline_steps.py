"""The pipeline's two halves run apart, for benchmarks that time each: the ETL alone and the
statistics step alone over the tables it wrote."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opwatch.config import Project, Settings


def run_etl_only(settings: Settings, project: Project, days: list[date]) -> None:
    """The ETL of ``days`` (client tables, no statistics), as a backfill batches it."""
    from opwatch.engines import create_engine
    from opwatch.pipeline import Runner, RunState

    runner = Runner(
        create_engine(settings),
        RunState.in_folder(settings.engine.results),
        settings.engine.batch_days,
        statistics=False,
    )
    try:
        result = runner.run([project], days, within_window=False)
    finally:
        runner.engine.close()
        runner.state.close()
    if not result.ok:
        raise SystemExit(f"the ETL failed: {result.projects}")


def run_statistics_only(settings: Settings, project: Project, days: list[date], batch: int) -> None:
    """The statistics step over the ETL's tables of ``days``, ``batch`` days per call."""
    from opwatch.engines import create_engine
    from opwatch.pipeline.statistics import StatisticsStep

    engine = create_engine(settings)
    try:
        step = StatisticsStep(engine)
        for start in range(0, len(days), batch):
            step.run(project, tuple(days[start : start + batch]))
    finally:
        engine.close()
