"""The Glean apps' probes: Fenix metrics-ping distributions and Firefox iOS events.

Glean timing distributions hold nanoseconds and memory distributions bytes, both in
functional buckets (8 and 16 per power of 2); custom distributions use the same exponential
layout as legacy histograms. Effects: ``build`` (the build shift, as on desktop), ``slow``
(values multiplied by the slow country's factor: network timings) and ``slow_inverse``
(divided by it: throughputs).
"""

from __future__ import annotations

from dataclasses import dataclass

from opwatch.demo.telemetry.buckets import (
    MEMORY_BUCKETS_PER_POWER_OF_2,
    TIMING_BUCKETS_PER_POWER_OF_2,
    Layout,
)
from opwatch.demo.telemetry.distributions import Distribution

TIMING, MEMORY, CUSTOM = "timing_distribution", "memory_distribution", "custom_distribution"
LN = Distribution.lognormal
MS = 1_000_000
"""Nanoseconds per millisecond."""


@dataclass(frozen=True)
class GleanDistribution:
    """A distribution metric of a Glean ping."""

    name: str
    metric_type: str
    distribution: Distribution
    samples: int = 3
    presence: float = 0.8
    effects: tuple[str, ...] = ()
    layout: Layout | None = None
    """Bucket layout of a custom distribution (others use functional buckets)."""

    @property
    def per_power_of_2(self) -> int:
        """Functional buckets per power of 2 (timing and memory distributions)."""
        return (
            MEMORY_BUCKETS_PER_POWER_OF_2
            if self.metric_type == MEMORY
            else TIMING_BUCKETS_PER_POWER_OF_2
        )


def _throughput(name: str) -> GleanDistribution:
    """Network throughput (Mbps) of one HTTP version and direction."""
    return GleanDistribution(name, CUSTOM, LN(15, 1.0), 5, 0.6, ("slow_inverse",),
                             Layout.exponential(100, 50))  # fmt: skip


FENIX_DISTRIBUTIONS: tuple[GleanDistribution, ...] = (
    GleanDistribution("networking_dns_lookup_time", TIMING, LN(30 * MS, 1.0), 10, 0.9, ("slow",)),
    GleanDistribution("performance_time_response_start", TIMING, LN(400 * MS, 0.9), 6, 0.85,
                      ("slow",)),
    GleanDistribution("performance_pageload_load_time", TIMING, LN(2500 * MS, 0.8), 6, 0.85,
                      ("slow", "build")),
    GleanDistribution("performance_page_non_blank_paint", TIMING, LN(1000 * MS, 0.8), 6, 0.85,
                      ("build",)),
    GleanDistribution("perf_startup_cold_main_app_to_first_frame", TIMING, LN(1200 * MS, 0.5), 1,
                      0.3),
    GleanDistribution("perf_startup_cold_view_app_to_first_frame", TIMING, LN(1600 * MS, 0.5), 1,
                      0.3),
    GleanDistribution("storage_stats_app_bytes", MEMORY, LN(250e6, 0.4), 1, 0.5, ("build",)),
    GleanDistribution("storage_stats_data_dir_bytes", MEMORY, LN(400e6, 0.8), 1, 0.5),
    *(
        _throughput(f"networking_http_{version}_{direction}_throughput")
        for version in (1, 2, 3)
        for direction in ("download", "upload")
    ),
)  # fmt: skip
IOS_EVENTS = {
    ("app", "large_file_write"): 2,
    ("app", "hang_exception"): 3,
    ("app", "cpu_exception"): 1,
    ("tabs", "tab_loss_detected"): 1,
    ("app", "opened_as_default_browser"): 10,
    ("tabs_tray", "opened"): 30,
    ("toolbar", "reader_mode_tapped"): 8,
}
"""(category, name) → relative frequency of the events in Firefox iOS events pings."""
