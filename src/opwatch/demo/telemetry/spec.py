"""What to generate: population size and period, experiments, tables, and the planted effects.

A :class:`DemoSpec` fully determines the data: the same spec writes the same files, byte for
byte, so that a demo, a test or a benchmark can rely on what it will find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

DEFAULT_END_DATE = date(2026, 11, 1)
DEMO_EXPERIMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"opwatch-demo": ("control", "treatment")}
)


@dataclass(frozen=True)
class PlantedEffects:
    """Changes hidden in the data, for detection and dashboards to find.

    - GC regression: every GC timing histogram (``gc_ms``, ``gc_max_pause_ms_2``,
      ``gc_budget_overrun``) of the regressing branch is multiplied by ``regression_factor``
      from ``regression_start`` on (default: two thirds into the period); its crash rate rises
      by a quarter too.
    - Build shift: builds dated ``build_shift_from`` (YYYYMMDD; default: the middle day) or
      later have memory and page-load distributions multiplied by ``build_shift_factor``
      (desktop and Fenix).
    - Dimension: clients on ``dimension_os`` crash about twice as often and visit about 0.6x
      as many URIs.
    - Country: Fenix and iOS clients in ``slow_country`` see network timings
      ``slow_country_factor`` times longer and throughputs that much lower.
    """

    regression_experiment: str = "opwatch-demo"
    regression_branch: str = "treatment"
    regression_start: date | None = None
    regression_factor: float = 1.5
    build_shift_from: str | None = None
    build_shift_factor: float = 1.3
    dimension_os: str = "Linux"
    dimension_crash_factor: float = 2.0
    dimension_uri_factor: float = 0.6
    regression_crash_factor: float = 1.25
    slow_country: str = "KE"
    slow_country_factor: float = 1.8


@dataclass(frozen=True)
class DemoSpec:
    """The population, period and content of a generated data set.

    ``experiments`` maps a slug to its branches; a slug with no branches is a rollout, whose
    enrolled clients all get the branch ``rollout``. Each slug enrolls
    :data:`~opwatch.demo.telemetry.population.ENROLLMENT_SHARE` of the clients of every
    application. ``tables`` restricts the physical tables written (``None``: all), and
    ``main_histograms`` / ``main_scalars`` the main ping's probe columns (``None``: the whole
    catalog; unknown names get a default layout).
    """

    clients: int = 2000
    days: int = 28
    end_date: date = DEFAULT_END_DATE
    seed: int = 1
    experiments: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEMO_EXPERIMENTS)
    )
    tables: frozenset[str] | None = None
    main_histograms: tuple[str, ...] | None = None
    main_scalars: tuple[str, ...] | None = None
    effects: PlantedEffects = PlantedEffects()

    def __post_init__(self) -> None:
        if self.clients < 1 or self.days < 1:
            raise ValueError("a demo needs at least one client and one day")

    @property
    def start_date(self) -> date:
        """The first submission date generated."""
        return self.end_date - timedelta(days=self.days - 1)

    @property
    def dates(self) -> tuple[date, ...]:
        """Every submission date generated, in order."""
        return tuple(self.start_date + timedelta(days=d) for d in range(self.days))

    @property
    def regression_start(self) -> date:
        """The first day of the GC regression."""
        start = self.effects.regression_start
        return start or self.start_date + timedelta(days=(2 * self.days) // 3)

    @property
    def build_shift_from(self) -> date:
        """The oldest build date whose distributions are shifted."""
        shift = self.effects.build_shift_from
        if shift is None:
            return self.start_date + timedelta(days=self.days // 2)
        return date(int(shift[:4]), int(shift[4:6]), int(shift[6:8]))


@dataclass(frozen=True)
class GeneratedData:
    """Where the generated tables are.

    ``tables`` maps each table name as configs write it (``mozdata.telemetry.main_1pct``) to
    a Parquet glob, ready for the ``[tables]`` settings; ``rows`` counts the rows written per
    physical table.
    """

    folder: Path
    tables: dict[str, str]
    rows: dict[str, int]
    start_date: date
    end_date: date
