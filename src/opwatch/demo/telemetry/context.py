"""What the templates are filled with: the spec, the day, the population and the probes.

Each function returns the context of one family of templates; :func:`day_context` adds the
day being generated. Keeping these decisions here leaves the templates free of logic beyond
loops over what they are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from opwatch.demo.telemetry import activity, desktop_probes, glean_probes
from opwatch.demo.telemetry.distributions import cumulative
from opwatch.demo.telemetry.population import (
    ATTRIBUTES,
    CPU_CORES,
    ENROLLMENT_SHARE,
    EPOCH_RELEASE,
    LOCALES,
    Application,
    Variate,
    experiment_branches,
    experiment_variates,
    variates,
)
from opwatch.demo.telemetry.spec import DemoSpec

EPOCH = date(1970, 1, 1)
FENIX_BUILD_EPOCH = date(2014, 12, 28)
FENIX_BUILD_BASE = 1921 << 20
"""High bits of Fenix's 10-digit build codes (below bit 20 are hours and ABI)."""
BASE_CRASH_RATE = 0.03
"""Crash pings per desktop client-day, before planted effects."""


@dataclass(frozen=True)
class Enrollment:
    """An experiment as the population templates see it."""

    slug: str
    branches: tuple[str, ...]
    variate: Variate
    type: str


def spec_context(spec: DemoSpec) -> dict[str, Any]:
    """What every template may use: seed, size, period, effects."""
    return {
        "seed": spec.seed,
        "clients": spec.clients,
        "start_day": (spec.start_date - EPOCH).days,
        "regression_start": spec.regression_start.isoformat(),
        "build_shift_from": spec.build_shift_from.isoformat(),
        "effects": spec.effects,
        "epoch_release": EPOCH_RELEASE,
        "crash_rate": BASE_CRASH_RATE,
        "enrollment_share": ENROLLMENT_SHARE,
    }


def day_context(day: date) -> dict[str, Any]:
    """The day being generated, as a date and as days since 1970-01-01 (hash input)."""
    return {"day": day.isoformat(), "day_number": (day - EPOCH).days}


def population_context(spec: DemoSpec, app: Application, glean: bool) -> dict[str, Any]:
    """A population template's context: attribute shares, variates and enrollments."""
    experiment_type = "nimbus-nimbus" if not glean else "nimbus"
    attribute_variates = variates(spec.seed, tuple(f"{app.name}:{a}" for a in ATTRIBUTES))
    drawn = experiment_variates(spec.seed, app.name, spec.experiments)
    enrollments = [
        Enrollment(
            slug,
            experiment_branches(branches),
            drawn[slug],
            experiment_type if branches else "nimbus-rollout",
        )
        for slug, branches in spec.experiments.items()
    ]
    return {
        "app": app,
        "variates": dict(zip(ATTRIBUTES, attribute_variates.values(), strict=True)),
        "channels": cumulative({channel.name: channel.weight for channel in app.channels}),
        "operating_systems": cumulative({os[0]: os[1] for os in app.operating_systems}),
        "countries": cumulative(app.countries),
        "cores": cumulative(CPU_CORES),
        "locales": cumulative(LOCALES),
        "devices": cumulative(app.devices) if app.devices else (),
        "experiments": enrollments,
    }


def main_context(spec: DemoSpec) -> dict[str, Any]:
    """The main ping's probes: histograms per process, scalars per process, keyed scalars."""
    processes: dict[str, list[desktop_probes.HistogramProbe]] = {
        process: []
        for process in (desktop_probes.PARENT, desktop_probes.CONTENT, desktop_probes.GPU)
    }
    for probe in desktop_probes.select_histograms(spec.main_histograms):
        for process in probe.processes:
            processes[process].append(probe)
    scalars: dict[str, list[desktop_probes.ScalarProbe]] = {"parent": [], "content": []}
    for scalar in desktop_probes.select_scalars(spec.main_scalars):
        scalars[scalar.process].append(scalar)
    return {
        "processes": processes,
        "scalars_by_process": scalars,
        "keyed_scalars": desktop_probes.KEYED_SCALARS,
        "subprocess_crash_keys": list(desktop_probes.SUBPROCESS_CRASHES.items()),
    }


def activity_context() -> dict[str, Any]:
    """Crashes, events, searches and the other pings besides main and baseline."""
    return {
        "process_types": activity.CRASH_PROCESS_TYPES,
        "search_engines": activity.SEARCH_ENGINES,
        "search_sources": activity.SEARCH_SOURCES,
        "mobile_search_sources": activity.MOBILE_SEARCH_SOURCES,
        "uninstall_rate": activity.UNINSTALL_RATE,
        "background_crash_rate": activity.BACKGROUND_CRASH_RATE,
        "default_browsers": activity.DEFAULT_BROWSERS,
        "messaging_types": activity.MESSAGING_TYPES,
        "desktop_events": activity.DESKTOP_EVENTS,
        "memory_unloads": activity.MEMORY_TAB_UNLOADS,
        "memory_pressure": activity.MEMORY_PRESSURE_EVENTS,
        "memory_interval": activity.MEMORY_EVENT_INTERVAL_S,
    }


def glean_context() -> dict[str, Any]:
    """The Glean apps' probes, and how Fenix encodes its build dates."""
    events = cumulative(glean_probes.IOS_EVENTS)
    return {
        "fenix_distributions": glean_probes.FENIX_DISTRIBUTIONS,
        "event_categories": [(share, event[0]) for share, event in events],
        "event_names": [(share, event[1]) for share, event in events],
        "fenix_build_base": FENIX_BUILD_BASE,
        "fenix_build_epoch_day": (FENIX_BUILD_EPOCH - EPOCH).days,
    }
