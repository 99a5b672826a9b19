"""The desktop main ping's probes: histograms, scalars and keyed ones, as the corpus uses them.

Layouts follow the probes' definitions in Firefox (kind, range, bucket count) closely enough
that bucket keys look like the field's; distributions are plausible, not measured. A histogram
recorded by several processes appears under each (``payload.histograms`` for the parent,
``payload.processes.<process>.histograms`` otherwise). A name that corpus configs reference but
this catalog lacks gets :func:`default_histogram`: a 50-bucket exponential timing.

Effects name which planted change moves a probe: ``gc`` (the regressing branch's GC times),
``build`` (memory and page loads of builds from the shift on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opwatch.demo.telemetry.buckets import Layout
from opwatch.demo.telemetry.distributions import Distribution

PARENT, CONTENT, GPU = "parent", "content", "gpu"
GC_EFFECT, BUILD_EFFECT = "gc", "build"
LN = Distribution.lognormal
ONE_OR_TWO = LN(1, 0.6)


@dataclass(frozen=True)
class HistogramProbe:
    """A legacy histogram: layout, where it is recorded, and how its samples are drawn."""

    name: str
    layout: Layout
    distribution: Distribution
    processes: tuple[str, ...] = (PARENT,)
    samples: int = 4
    """Mean number of samples in a ping that has the histogram."""
    presence: float = 0.95
    """Share of pings that have the histogram at all."""
    effect: str | None = None


@dataclass(frozen=True)
class ScalarProbe:
    """A scalar of one process: drawn per ping, fixed per client, or taken from a base column."""

    name: str
    distribution: Distribution
    process: str = PARENT
    presence: float = 0.9
    per_client: bool = False
    boolean: bool = False
    source: str | None = None
    """A column of the day's ping table holding the value (uri and tick counts, which other
    tables aggregate and planted effects move)."""


@dataclass(frozen=True)
class KeyedScalarProbe:
    """A keyed scalar: each key present with a share of the pings that have the probe."""

    name: str
    keys: tuple[str, ...]
    presence: float
    distribution: Distribution = ONE_OR_TWO


GC_REASONS = Distribution.choice({7: 30, 22: 25, 42: 15, 3: 10, 29: 10, 13: 5, 50: 5})
"""JS::GCReason values, most common first (alloc trigger, CC finished, idle, ...)."""
USER_CHOICE = Distribution.choice(
    {0: 80, 1: 2, 2: 6, 3: 2, 4: 3, 5: 1, 6: 1, 7: 2, 8: 1, 9: 1, 10: 1}
)
"""Results of setting the Windows default browser: 0 is success, then error codes."""
P, C, PC, G = (PARENT,), (CONTENT,), (PARENT, CONTENT), (GPU,)
H, EXP, LIN, U = HistogramProbe, Layout.exponential, Layout.linear, Distribution.uniform
GC, BUILD = GC_EFFECT, BUILD_EFFECT
HISTOGRAMS: tuple[HistogramProbe, ...] = (
    # name, layout (high, buckets[, low]), distribution, processes, samples, presence, effect
    H("gc_ms", EXP(10000, 50), LN(40, 1.1), PC, 10, 0.97, GC),
    H("gc_max_pause_ms_2", EXP(10000, 50), LN(12, 1.0), PC, 8, 0.95, GC),
    H("gc_budget_overrun", EXP(100000, 50), LN(2000, 1.2), P, 5, 0.95, GC),
    H("gc_effectiveness", EXP(50000, 50), LN(800, 1.2), P, 6),
    H("gc_slice_during_idle", LIN(100, 101), U(0, 100, 1.5), PC, 6),
    H("gc_non_incremental", Layout("boolean"), Distribution.bernoulli(0.03), P, 6),
    H("gc_reason_2", Layout.enumerated(100), GC_REASONS, C, 6),
    H("gc_mark_rate_2", EXP(300000, 50, 1000), LN(30000, 0.8), C, 5),
    H("cycle_collector_max_pause", EXP(10000, 50), LN(8, 1.0), PC, 5),
    H("content_process_count", LIN(10, 11), U(1, 8), P, 2),
    H("content_process_max", LIN(10, 11), U(2, 10, 0.7), P, 1),
    H("checkerboard_severity", EXP(1073741824, 50), LN(5000, 2.0), P, 2, 0.4),
    H("child_process_launch_ms", EXP(10000, 50), LN(60, 0.7), P, 4),
    H("content_frame_time_vsync", EXP(792, 100, 8), LN(110, 0.4), P, 8),
    H("fx_new_window_ms", EXP(10000, 50), LN(180, 0.6), P, 2, 0.6),
    H("fx_tab_switch_composite_e10s_ms", EXP(1000, 20), LN(40, 0.7), P, 6, 0.8),
    H("keypress_present_latency", EXP(200000, 50), LN(30, 0.8), G, 8, 0.8),
    H("memory_total", EXP(16777216, 100, 32768), LN(1_600_000, 0.5), P, 6, 0.95, BUILD),
    H("memory_unique_content_startup", EXP(524288, 50, 1024), LN(60000, 0.5), C, 2, 0.7, BUILD),
    H("perf_first_contentful_paint_ms", EXP(50000, 100), LN(700, 0.9), C, 6, 0.9, BUILD),
    H("perf_page_load_time_ms", EXP(100000, 100), LN(1800, 0.9), C, 6, 0.9, BUILD),
    H("time_to_first_interaction_ms", EXP(50000, 50), LN(1500, 0.8), P, 2, 0.8),
    H("loaded_tab_count", EXP(1000, 100), LN(4, 1.0), P, 3),
    H("tab_count", EXP(1000, 100), LN(8, 1.0), P, 3),
    H("tab_unload_to_reload", EXP(100000, 100), LN(600, 1.5), P, 2, 0.1),
    H("js_pageload_baseline_compile_ms", EXP(10000, 100), LN(5, 1.0), C, 6),
    H("js_pageload_delazification_ms", EXP(10000, 100), LN(8, 1.0), C, 6),
    H("js_pageload_execution_ms", EXP(10000, 100), LN(40, 1.0), C, 6),
    H("js_pageload_parse_ms", EXP(10000, 100), LN(10, 1.0), C, 6),
    H("js_pageload_protect_ms", EXP(10000, 100), LN(3, 1.0), C, 6),
    H("js_pageload_xdr_encoding_ms", EXP(10000, 100), LN(4, 1.0), C, 6),
    H("dns_lookup_time", EXP(60000, 50), LN(25, 1.2), C, 10),
    H("http_page_tls_handshake", EXP(30000, 50), LN(80, 0.9), C, 4),
    H("http_sub_tls_handshake", EXP(30000, 50), LN(70, 0.9), C, 8),
    H("http_page_open_to_first_sent", EXP(30000, 50), LN(30, 1.0), C, 4),
    H("time_to_response_start_ms", EXP(300000, 100), LN(350, 0.9), C, 6),
    H("browser_set_default_user_choice_result", Layout.enumerated(11), USER_CHOICE, P, 1, 0.02),
)

S, ONCE = ScalarProbe, LN(1, 0.5)
SCALARS: tuple[ScalarProbe, ...] = (
    # name, distribution, process, presence; per-client ones and those read from a base column
    S("browser_engagement_total_uri_count", LN(30, 1), source="uri_count"),
    S("browser_engagement_total_uri_count_normal_and_private_mode", LN(30, 1),
      source="uri_count_all"),
    S("browser_engagement_active_ticks", LN(300, 1), source="active_ticks"),
    S("browser_engagement_unique_domains_count", LN(4, 0.8), PARENT, 0.9),
    S("browser_engagement_tab_open_event_count", LN(6, 1.0), PARENT, 0.85),
    S("browser_engagement_max_concurrent_tab_count", LN(8, 0.9), PARENT, 0.98),
    S("browser_engagement_max_concurrent_tab_pinned_count", LN(1, 0.8), PARENT, 0.25),
    S("browser_engagement_tab_pinned_event_count", ONCE, PARENT, 0.05),
    S("browser_engagement_tab_unload_count", LN(2, 1.0), PARENT, 0.1),
    S("browser_engagement_tab_reload_count", LN(3, 1.0), PARENT, 0.3),
    S("browser_engagement_window_open_event_count", LN(1, 0.7), PARENT, 0.4),
    S("browser_engagement_max_concurrent_window_count", ONCE, PARENT, 0.98),
    S("browser_engagement_unfiltered_uri_count", LN(40, 1), source="uri_count_all"),
    S("printing_preview_opened_tm", ONCE, PARENT, 0.03),
    S("printing_dialog_opened_via_preview_tm", ONCE, PARENT, 0.02),
    S("printing_preview_cancelled_tm", ONCE, PARENT, 0.01),
    S("printing_dialog_via_preview_cancelled_tm", ONCE, PARENT, 0.005),
    S("privacy_dfpi_rollout_enabled_by_default", Distribution.choice({0: 15, 1: 60, 2: 25}),
      PARENT, 0.95, per_client=True),
    S("privacy_dfpi_rollout_tcp_by_default_feature", Distribution.bernoulli(0.6), PARENT, 0.95,
      per_client=True, boolean=True),
    S("printing_preview_opened", ONCE, CONTENT, 0.03),
    S("printing_dialog_opened_without_preview", ONCE, CONTENT, 0.02),
    S("printing_dialog_opened_via_preview", ONCE, CONTENT, 0.015),
    S("printing_silent_print", ONCE, CONTENT, 0.005),
    S("printing_preview_cancelled", ONCE, CONTENT, 0.012),
    S("printing_dialog_without_preview_cancelled", ONCE, CONTENT, 0.006),
    S("printing_dialog_via_preview_cancelled", ONCE, CONTENT, 0.004),
)  # fmt: skip

PRINTING_ERRORS = (
    "FAILURE", "GFX_PRINTER_DOC_IS_BUSY", "NOT_AVAILABLE", "UNEXPECTED",
    "GFX_PRINTER_NO_PRINTER_AVAILABLE", "GFX_PRINTER_NAME_NOT_FOUND",
    "GFX_PRINTER_COULD_NOT_OPEN_FILE", "GFX_PRINTER_STARTDOC", "GFX_PRINTER_ENDDOC",
    "GFX_PRINTER_STARTPAGE", "ABORT", "NOT_IMPLEMENTED", "OUT_OF_MEMORY",
)  # fmt: skip
KEYED_SCALARS: tuple[KeyedScalarProbe, ...] = (
    KeyedScalarProbe("printing_target_type", ("pdf_file", "pdf_unknown", "xps_file", "unknown"),
                     0.03),
    KeyedScalarProbe("printing_error", PRINTING_ERRORS, 0.01),
    KeyedScalarProbe("browser_search_content_urlbar",
                     ("google:tagged:firefox-b-d", "bing:organic:none"), 0.2, LN(2, 0.8)),
)  # fmt: skip
SUBPROCESS_CRASHES = {"content": 1.0, "gpu": 0.3, "gmplugin": 0.1, "plugin": 0.02, "rdd": 0.1,
                      "utility": 0.1, "socket": 0.05}  # fmt: skip
"""Keys of the keyed count histogram ``subprocess_crashes_with_dump``, with the rate of each
per main ping relative to the client's crash rate."""


def default_histogram(name: str) -> HistogramProbe:
    """A probe the catalog does not know: a parent-process timing in ms."""
    return HistogramProbe(name, EXP(10000, 50), LN(50, 1.0))


def select_histograms(names: tuple[str, ...] | None) -> tuple[HistogramProbe, ...]:
    """The histograms to generate: all known, or ``names`` (unknown ones get the default)."""
    if names is None:
        return HISTOGRAMS
    known = {probe.name: probe for probe in HISTOGRAMS}
    return tuple(known.get(name) or default_histogram(name) for name in dict.fromkeys(names))


def select_scalars(names: tuple[str, ...] | None) -> tuple[ScalarProbe, ...]:
    """The scalars to generate: all known, or those of ``names`` (unknown: a small count)."""
    if names is None:
        return SCALARS
    known = {probe.name: probe for probe in SCALARS}
    return tuple(known.get(name) or ScalarProbe(name, LN(2, 1.0)) for name in dict.fromkeys(names))


def probes_named_in(sql: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The histograms and scalars of the catalog whose names ``sql`` mentions, in catalog
    order: what a set of configs can read of the main ping (each probe is drawn from hashes
    of its own name, so leaving the others out changes none of these)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql))
    return (
        tuple(probe.name for probe in HISTOGRAMS if probe.name in words),
        tuple(probe.name for probe in SCALARS if probe.name in words),
    )
