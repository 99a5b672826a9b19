"""The shape of an OpMon configuration file, both generations, as pydantic models.

One :class:`ConfigFile` describes every table a project, definition or default file may hold.
Every model forbids unknown keys, so a misspelled key is reported (with the closest known key)
instead of being silently ignored, the way OpMon ignores it. The meaning of each key is in
``docs/config-reference.md``; a test checks that every field here is documented there.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from opwatch.config.vocabulary import Platform

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_config_date(value: Any) -> Any:
    """Accept a TOML date or a ``YYYY-MM-DD`` string; refuse timestamps and other spellings."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise PydanticCustomError(
                "config_date", f"{value!r} is not a calendar date ({error})"
            ) from None
    raise PydanticCustomError("config_date", f"{value!r} is not a date in the form YYYY-MM-DD")


ConfigDate = Annotated[date, BeforeValidator(_parse_config_date)]
Percentile = Annotated[int | float, Field(gt=0, lt=100)]
Channel = Literal["release", "beta", "nightly", "esr", "aurora"]
XAxis = Literal["submission_date", "build_id"]
MetricType = Literal["scalar", "histogram"]


class Spec(BaseModel):
    """Base of every config table: unknown keys are reported, and each table names its kind."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)
    noun: ClassVar[str] = "key"
    strict_keys: ClassVar[bool] = False
    """An unknown key here is an error even in a project file, where unknown keys are otherwise
    warnings: OpMon refuses it too (statistics and their parameters), or the table is opwatch's
    own and a misspelt key would silently change what opwatch does."""


# --- statistics ----------------------------------------------------------------------------


class NoParameters(Spec):
    """A statistic that takes no parameters (``mean = {}``)."""

    noun: ClassVar[str] = "parameter"
    strict_keys: ClassVar[bool] = True


DEFAULT_PERCENTILES = (50, 90, 99)
"""OpMon's percentiles when a ``percentile`` statistic names none."""


def _default_percentiles() -> list[int | float]:
    return list(DEFAULT_PERCENTILES)


class PercentileParameters(Spec):
    """``percentile = { percentiles = [25, 50, 75, 95] }``."""

    noun: ClassVar[str] = "parameter"
    strict_keys: ClassVar[bool] = True
    percentiles: list[Percentile] = Field(default_factory=_default_percentiles)
    remove_nulls: bool = False


class TotalRatioParameters(Spec):
    """``total_ratio = { denominator_metric = "total_client_volume" }``."""

    noun: ClassVar[str] = "parameter"
    strict_keys: ClassVar[bool] = True
    denominator_metric: str


class StatisticsSpec(Spec):
    """``[metrics.X.statistics]``: which statistics to compute for a metric, with parameters."""

    noun: ClassVar[str] = "statistic"
    strict_keys: ClassVar[bool] = True
    count: NoParameters | None = None
    sum: NoParameters | None = None
    mean: NoParameters | None = None
    quantile: NoParameters | None = None
    percentile: PercentileParameters | None = None
    total_ratio: TotalRatioParameters | None = None

    def names(self) -> list[str]:
        """The statistics requested, in declaration order."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


BucketKind = Literal[
    "exponential",
    "linear",
    "boolean",
    "flag",
    "count",
    "enumerated",
    "categorical",
    "timing_distribution",
    "memory_distribution",
    "custom_distribution",
]
BUCKET_KEYS_NEEDED: dict[str, tuple[str, ...]] = {
    "exponential": ("high", "bucket_count"),
    "linear": ("high", "bucket_count"),
    "enumerated": ("n_values",),
    "custom_distribution": ("range_max", "bucket_count"),
}


class BucketsSpec(Spec):
    """``[metrics.X.buckets]`` (opwatch): a histogram metric's bucket layout, as in its
    ``Histograms.json`` or ``metrics.yaml`` definition, so percentiles are exact and in unit."""

    noun: ClassVar[str] = "bucket setting"
    strict_keys: ClassVar[bool] = True
    kind: BucketKind
    low: int | None = Field(default=None, ge=0)
    high: int | None = Field(default=None, gt=0)
    bucket_count: int | None = Field(default=None, ge=3)
    n_values: int | None = Field(default=None, gt=0)
    labels: list[str] | None = None
    range_min: int | None = Field(default=None, ge=0)
    range_max: int | None = Field(default=None, gt=0)
    histogram_type: Literal["exponential", "linear"] | None = None
    time_unit: (
        Literal["nanosecond", "microsecond", "millisecond", "second", "minute", "hour", "day"]
        | None
    ) = None
    memory_unit: Literal["byte", "kilobyte", "megabyte", "gigabyte"] | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _needed_keys(self) -> BucketsSpec:
        """Each kind's required settings (a layout cannot be guessed)."""
        missing = [k for k in BUCKET_KEYS_NEEDED.get(self.kind, ()) if getattr(self, k) is None]
        if missing:
            raise PydanticCustomError(
                "buckets",
                f"a {self.kind} layout needs {' and '.join(missing)}, as in the probe's definition",
            )
        return self


class StatisticsSettingsSpec(Spec):
    """``[project.statistics]`` (opwatch): how confidence intervals are computed."""

    noun: ClassVar[str] = "statistics setting"
    strict_keys: ClassVar[bool] = True
    interval_method: Literal["auto", "bootstrap", "analytic"] = "auto"
    confidence_level: float = Field(default=0.95, gt=0, lt=1)
    bootstrap_samples: int = Field(default=1000, ge=100, le=100_000)
    seed: int = 0
    reference_branch: str | None = None


class MonitorSpec(Spec):
    """``[metrics.X.monitor]`` (opwatch): how changes of the metric are detected, with the keys
    of a Glean metric's ``metadata.monitor``."""

    noun: ClassVar[str] = "monitoring setting"
    strict_keys: ClassVar[bool] = True
    change_detection_technique: str | None = None
    change_detection_args: dict[str, Any] | None = None
    lower_is_better: bool | None = None
    platforms: list[Platform] | None = None
    alert: bool | None = None
    bugzilla_notification_emails: list[str] | None = None


HISTOGRAM_STATISTICS = ("percentile",)
"""Statistics defined for histogram metrics (see docs/config-reference.md)."""


# --- metrics, probes, data sources, dimensions, segments, functions ------------------------


class MetricSpec(Spec):
    """``[metrics.X]``: a metric, aggregated per client by its select expression."""

    select_expression: str | None = None
    data_source: str | None = None
    type: MetricType | None = None
    friendly_name: str | None = None
    description: str | None = None
    category: str | None = None
    statistics: StatisticsSpec | None = None
    buckets: BucketsSpec | None = None
    monitor: MonitorSpec | None = None
    bigger_is_better: bool | None = None
    deprecated: bool | None = None
    owner: str | list[str] | None = None
    depends_on: list[str] | None = None
    level: Literal["gold", "silver", "bronze"] | None = None
    analysis_bases: list[str] | None = None
    name: str | None = None


class ProbeSpec(Spec):
    """``[probes.X]`` (generation 1): a probe, the former name of a metric."""

    data_source: str | None = None
    select_expression: str | None = None
    type: MetricType | None = None
    friendly_name: str | None = None
    description: str | None = None
    category: str | None = None


class JoinSpec(Spec):
    """``[data_sources.X.joins.Y]``: how data source X joins data source Y."""

    relationship: Literal["one_to_one", "one_to_many", "many_to_one", "many_to_many"] | None = None
    on_expression: str | None = None


class DataSourceSpec(Spec):
    """``[data_sources.X]``: a table or subquery metrics and dimensions read from."""

    from_expression: str | None = None
    submission_date_column: str | None = None
    client_id_column: str | None = None
    build_id_column: str | None = None
    experiments_column_type: (
        Literal["simple", "native", "glean", "events_stream", "none"] | None
    ) = None
    default_dataset: str | None = None
    friendly_name: str | None = None
    description: str | None = None
    deprecated: bool | None = None
    columns_as_dimensions: bool | None = None
    analysis_units: list[str] | None = None
    glean_client_id_column: str | None = None
    legacy_client_id_column: str | None = None
    joins: dict[str, JoinSpec] | None = None


class DimensionSpec(Spec):
    """``[dimensions.X]``: a column the population is segmented by (cast to string)."""

    data_source: str | None = None
    select_expression: str | None = None
    friendly_name: str | None = None
    description: str | None = None


class SegmentSpec(Spec):
    """``[segments.X]``: a boolean per-client expression that restricts the population."""

    data_source: str | None = None
    select_expression: str | None = None
    friendly_name: str | None = None
    description: str | None = None


class SegmentDataSourceSpec(Spec):
    """``[segments.data_sources.X]``: a table segments read from, with its window in days."""

    from_expression: str | None = None
    window_start: int = 0
    window_end: int = 0
    client_id_column: str | None = None
    submission_date_column: str | None = None
    friendly_name: str | None = None
    description: str | None = None


class FunctionSpec(Spec):
    """``[functions.X]``: a Jinja macro ``{{X("expr")}}`` whose definition has ``{select_expr}``."""

    definition: str
    friendly_name: str | None = None
    description: str | None = None


class ParameterSpec(Spec):
    """``[parameters.X]``: a value snippets read as ``{{ parameters.X }}``."""

    value: str | int | float | bool | None = None
    default: str | int | float | bool | None = None
    friendly_name: str | None = None
    description: str | None = None


# --- alerts and the project --------------------------------------------------------------


class AlertSpec(Spec):
    """``[alerts.X]``: a rule evaluated on the statistics of some metrics."""

    type: Literal["threshold", "avg_diff", "ci_overlap"]
    metrics: list[str] | None = None
    statistics: list[str] | None = None
    parameters: list[int | float] | None = Field(
        default=None, validation_alias=AliasChoices("parameters", "percentiles")
    )
    min: list[int | float] | None = None
    max: list[int | float] | None = None
    window_size: int | None = Field(default=None, gt=0)
    max_relative_change: float | None = Field(default=None, gt=0)
    friendly_name: str | None = None
    description: str | None = None


class MetricGroupSpec(Spec):
    """``[project.metric_groups.X]``: metrics drawn together on one dashboard tile."""

    metrics: list[str]
    friendly_name: str | None = None
    description: str | None = None


class PopulationSpec(Spec):
    """``[project.population]``: who is monitored and how they are split into branches."""

    data_source: str | None = None
    branches: list[str] | None = None
    boolean_pref: str | None = None
    channel: Channel | None = None
    monitor_entire_population: bool | None = None
    dimensions: list[str] | None = None
    group_by_dimension: str | None = None
    segments: list[str] | None = None


class ProjectSpec(Spec):
    """``[project]``: what is monitored, over which axis and dates."""

    name: str | None = None
    platform: str | None = None
    xaxis: XAxis | None = None
    reference_branch: str | None = None
    start_date: ConfigDate | None = None
    end_date: ConfigDate | None = None
    skip: bool | None = None
    is_rollout: bool | None = None
    skip_default_metrics: bool | None = None
    compact_visualization: bool | None = None
    metrics: list[str] | None = None
    probes: list[str] | None = None
    alerts: list[str] | None = None
    population: PopulationSpec | None = None
    metric_groups: dict[str, MetricGroupSpec] | None = None
    statistics: StatisticsSettingsSpec | None = None


class ConfigFile(Spec):
    """One TOML file: a project, a platform's definitions or a platform's defaults."""

    project: ProjectSpec | None = None
    metrics: dict[str, MetricSpec] = Field(default_factory=dict)
    probes: dict[str, ProbeSpec] = Field(default_factory=dict)
    data_sources: dict[str, DataSourceSpec] = Field(default_factory=dict)
    dimensions: dict[str, DimensionSpec] = Field(default_factory=dict)
    segments: dict[str, SegmentSpec] = Field(default_factory=dict)
    segment_data_sources: dict[str, SegmentDataSourceSpec] = Field(default_factory=dict)
    functions: dict[str, FunctionSpec] = Field(default_factory=dict)
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    alerts: dict[str, AlertSpec] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_segment_data_sources(cls, data: Any) -> Any:
        """``[segments.data_sources]`` sits among the segments in TOML; give it its own field."""
        if isinstance(data, dict) and isinstance(data.get("segments"), dict):
            segments = dict(data["segments"])
            if "data_sources" in segments:
                data = {**data, "segments": segments}
                data["segment_data_sources"] = segments.pop("data_sources")
        return data

    @property
    def generation(self) -> int:
        """1 for the 2022 ``probes`` format, 2 for the current ``metrics`` format."""
        uses_probes = bool(self.probes) or bool(self.project and self.project.probes is not None)
        return 1 if uses_probes else 2


TABLE_NOUNS: dict[str, str] = {
    "metrics": "metric",
    "probes": "probe",
    "data_sources": "data source",
    "dimensions": "dimension",
    "segments": "segment",
    "segment_data_sources": "segment data source",
    "functions": "function",
    "parameters": "parameter",
    "alerts": "alert",
}
"""The entity name of each named-table section, for messages."""
