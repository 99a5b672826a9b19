"""The daily pipeline: run projects for days on an engine, resumably, recording run state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opwatch.config.settings import Settings
from opwatch.engines import create_engine
from opwatch.pipeline.run import Batch, ProjectRun, Runner, RunResult, is_active
from opwatch.pipeline.state import RunState


@contextmanager
def open_runner(settings: Settings, engine: str | None = None) -> Iterator[Runner]:
    """A runner on the settings' engine and run state, closed afterwards."""
    runner = Runner(
        create_engine(settings, engine), RunState.of_settings(settings), settings.engine.batch_days
    )
    try:
        yield runner
    finally:
        runner.engine.close()
        runner.state.close()


__all__ = ["Batch", "ProjectRun", "RunResult", "RunState", "Runner", "is_active", "open_runner"]
