"""The SQL that produced a project's results, for its metric pages.

The results do not keep the configuration, so the project is looked up where ``opwatch run``
finds it (``config.projects``, then the packaged demo) and its per-client query rendered for
the engine, as ``opwatch render`` prints it. A project run from elsewhere (the corpus projects
``opwatch demo`` runs from their own folder) has no SQL to show, and the page says so.
"""

from __future__ import annotations

from datetime import date

from opwatch.config import Settings, load_project
from opwatch.demo import DEMO_SLUG, demo_project_path
from opwatch.engines import create_engine
from opwatch.errors import OpwatchError
from opwatch.sql.plan import plan_run


def clients_sql(settings: Settings, slug: str, day: date) -> str | None:
    """The per-client query of ``slug`` for ``day``, or None when its config is not here."""
    folder = settings.config.projects
    path = folder / f"{slug}.toml" if folder is not None else None
    engine = create_engine(settings)
    try:
        if path is not None and path.is_file():
            project = load_project(path, settings)
        elif slug == DEMO_SLUG:
            project = load_project(demo_project_path())  # its definitions are packaged with it
        else:
            return None
        return engine.prepare(plan_run(project, [day])).clients_query
    except OpwatchError:
        return None
    finally:
        engine.close()
