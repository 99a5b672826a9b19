"""The corpus projects the generated data feeds, and the enrollments they need.

A project is fed when its run succeeds on generated data, every one of its metrics has a
value for some client, and every branch it expects has clients. Experiments and rollouts are
read from the clients' enrollments, so the data must enroll clients in the slugs these
projects look up: their own slug (the rollout rule, or configured branches) or others (the
TCP phase 2 demo keeps clients of two cookie-protection rollouts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from opwatch.demo.telemetry.spec import DEMO_EXPERIMENTS

TAB_UNLOADING_MACOS_BRANCHES = (
    "memory-pressure-warning",
    "tab-unloading-and-memory-pressure-warning",
    "memory-pressure-critical",
    "tab-unloading-and-memory-pressure-critical",
    "tab-unloading-and-memory-pressure-disabled",
)
TCP_ROLLOUTS = (
    "total-cookie-protection-beta-roll-out-phase-ii-switch-on-to-new-users",
    "total-cookie-protection-roll-out-to-users-phase-ii-switch-on-by-default",
)
WIN32K = "bug-1751039-pref-win32k-experiment-nightly-99-99"
TAB_UNLOADING_LINUX = "bug-1751307-pref-tab-unloading-on-low-memory-for-linux-release-97-98"
TAB_UNLOADING_MACOS = "bug-1751308-pref-tab-unloading-on-low-memory-for-macos-release-97-98"
FISSION_ROLLOUT = "bug-1732206-rollout-fission-release-rollout-release-94-95"
PRINT_UI_ROLLOUT = "bug-1683348-rollout-tab-modal-print-ui-roll-out-release-84-85"


@dataclass(frozen=True)
class CorpusProject:
    """A corpus project file (relative to the corpus root) and the enrollments it reads."""

    path: str
    experiments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The project's slug: its file name without extension."""
        return self.path.rsplit("/", 1)[-1].removesuffix(".toml")


def _rollout(path: str) -> CorpusProject:
    """A rollout monitored by enrollment in its own slug (enabled vs. disabled)."""
    project = CorpusProject(path)
    return CorpusProject(path, {project.slug: ()})


GENERATION_1 = "opmon-config-2022"
OPMON = "metric-hub/opmon"
SUPPORTED_PROJECTS: tuple[CorpusProject, ...] = (
    CorpusProject(f"{GENERATION_1}/bug-1660366-pref-ongoing-fission-nightly-experiment-nightly-83-100.toml"),
    _rollout(f"{GENERATION_1}/{FISSION_ROLLOUT}.toml"),
    CorpusProject(f"{GENERATION_1}/{WIN32K}.toml", {WIN32K: ("enabled", "disabled")}),
    CorpusProject(f"{OPMON}/garbage_collection.toml"),
    CorpusProject(f"{OPMON}/network-performance-desktop-build-by-build.toml"),
    CorpusProject(f"{OPMON}/{WIN32K}.toml", {WIN32K: ("enabled", "disabled")}),
    CorpusProject(f"{OPMON}/bug-1660366-pref-ongoing-fission-nightly-experiment-nightly-83-100.toml"),
    CorpusProject(
        f"{OPMON}/{TAB_UNLOADING_LINUX}.toml",
        {TAB_UNLOADING_LINUX: ("tab-unloading-enabled", "tab-unloading-disabled")},
    ),
    CorpusProject(
        f"{OPMON}/{TAB_UNLOADING_MACOS}.toml", {TAB_UNLOADING_MACOS: TAB_UNLOADING_MACOS_BRANCHES}
    ),
    CorpusProject(f"{OPMON}/tcp-rollout-phase-2-demo.toml", {slug: () for slug in TCP_ROLLOUTS}),
    CorpusProject(f"{OPMON}/tcp-rollout.toml"),
    _rollout(f"{OPMON}/tcp-rollout-phase-iii-tcp-on-by-default-for-50-existing-release-profiles.toml"),
    _rollout(f"{OPMON}/tcp-rollout-phase-iii-tcp-on-by-default-for-95-existing-release-profiles.toml"),
    _rollout(f"{OPMON}/tcp-rollout-phase-iii-tcp-on-by-default-for-95-existing-esr-profiles.toml"),
    _rollout(f"{OPMON}/tcp-rollout-aurora-phase-iii-tcp-on-by-default-for-100-aurora-profiles.toml"),
    _rollout(f"{OPMON}/tcp-rollout-beta-phase-iii-tcp-on-by-default-for-remaining-beta-profiles.toml"),
    _rollout(f"{OPMON}/{TCP_ROLLOUTS[0]}.toml"),
    _rollout(f"{OPMON}/{TCP_ROLLOUTS[1]}.toml"),
    _rollout(f"{OPMON}/rollout-doh-beta-rollout-to-all-us-desktop-users-v2-beta-74-80-bug-1613489.toml"),
    _rollout(f"{OPMON}/task-continuity-sync-after-tab-change-rollout-60.toml"),
    _rollout(f"{OPMON}/new-toolbar-ios-ios-redesign-beta-rollout.toml"),
    CorpusProject(f"{OPMON}/print-background-task-times.toml", {PRINT_UI_ROLLOUT: ()}),
    CorpusProject(f"{OPMON}/print-background-task-times-by-build.toml", {PRINT_UI_ROLLOUT: ()}),
    CorpusProject(f"{OPMON}/performance-review-kenya.toml"),
    CorpusProject(f"{OPMON}/performance-review-kenya-2.toml"),
    CorpusProject(f"{OPMON}/firefox-ios-health.toml"),
    _rollout(f"{OPMON}/android-add-ons-extension-process-release-rollout.toml"),
    CorpusProject(f"{OPMON}/firefox-uninstalls.toml"),
    CorpusProject(f"{OPMON}/firefox-default-browser-agent.toml"),
    CorpusProject(f"{OPMON}/firefox-messaging-system.toml"),
    CorpusProject(f"{OPMON}/firefox-background-update.toml"),
    CorpusProject(f"{OPMON}/firefox-user-choice.toml"),
)  # fmt: skip


UNSUPPORTED_PROJECTS = {
    f"{GENERATION_1}/{TAB_UNLOADING_LINUX}.toml": (
        "data source events_memory selects only event_string_value from telemetry.events, so "
        "the join on its submission_date and client_id columns cannot bind"
    ),
    f"{GENERATION_1}/{TAB_UNLOADING_MACOS}.toml": (
        "data source events_memory selects only event_string_value from telemetry.events, so "
        "the join on its submission_date and client_id columns cannot bind"
    ),
    f"{OPMON}/all-browsers-dau.toml": (
        "reads telemetry.active_users_aggregates, including Focus Android and Focus iOS, "
        "which the generator does not model"
    ),
    f"{OPMON}/desktop-dau.toml": (
        "reads telemetry.active_users_aggregates and the KPI forecasts of "
        "telemetry_derived.kpi_forecasts_v0, which the generator does not write"
    ),
    f"{OPMON}/mozilla_vpn.toml": "reads Mozilla VPN session pings, which are not generated",
}
"""Corpus projects the generated data does not feed, with the reason: the first two fail in
their rendered SQL whatever the data (their config is broken: it would fail on BigQuery too);
the others read tables the generator does not write."""


def corpus_experiments(
    projects: Iterable[CorpusProject] = SUPPORTED_PROJECTS,
) -> dict[str, tuple[str, ...]]:
    """Slug → branches of every enrollment ``projects`` read, with the demo's experiment."""
    experiments = dict(DEMO_EXPERIMENTS)
    for project in projects:
        experiments.update(project.experiments)
    return experiments
