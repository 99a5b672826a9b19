"""Experiment and rollout metadata in the Experimenter v6 JSON format.

OpMon meant to take a project's branches, dates and channel from the experiment it monitors when
the config leaves them unset (a later port of OpMon lost this; we do what was intended). The
metadata is read from a file, or from a URL only when fetching is allowed: validation never
touches the network unless asked to.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opwatch.errors import OpwatchError

FETCH_TIMEOUT_SECONDS = 30


class ExperimentBranch(BaseModel):
    """One branch of an experiment."""

    model_config = ConfigDict(extra="ignore")
    slug: str
    ratio: int | None = None


class Experiment(BaseModel):
    """The fields of an Experimenter v6 experiment that monitoring uses."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    slug: str
    user_facing_name: str | None = Field(default=None, alias="userFacingName")
    app_name: str | None = Field(default=None, alias="appName")
    channel: str | None = None
    is_rollout: bool = Field(default=False, alias="isRollout")
    branches: list[ExperimentBranch] = Field(default_factory=list)
    start_date: date | None = Field(default=None, alias="startDate")
    end_date: date | None = Field(default=None, alias="endDate")
    reference_branch: str | None = Field(default=None, alias="referenceBranch")

    def project_values(self) -> dict[str, Any]:
        """What this experiment says of a project, as ``[project]`` config values."""
        values: dict[str, Any] = {"is_rollout": self.is_rollout}
        if self.user_facing_name:
            values["name"] = self.user_facing_name
        if self.app_name:
            values["platform"] = self.app_name
        if self.start_date:
            values["start_date"] = self.start_date.isoformat()
        if self.end_date:
            values["end_date"] = self.end_date.isoformat()
        population: dict[str, Any] = {}
        if self.branches and not self.is_rollout:
            population["branches"] = [branch.slug for branch in self.branches]
        if self.channel in {"release", "beta", "nightly", "esr", "aurora"}:
            population["channel"] = self.channel
        if population:
            values["population"] = population
        return values


class ExperimentMetadataError(OpwatchError):
    """Experiment metadata could not be read."""


class ExperimentCatalog:
    """Experiments by slug, from one Experimenter v6 document (a list or a single object)."""

    def __init__(self, experiments: list[Experiment]) -> None:
        self._by_slug = {experiment.slug: experiment for experiment in experiments}

    def get(self, slug: str) -> Experiment | None:
        """The experiment or rollout with this slug, if the metadata lists it."""
        return self._by_slug.get(slug)

    def __len__(self) -> int:
        return len(self._by_slug)

    @classmethod
    def load(cls, source: str, *, fetch: bool) -> ExperimentCatalog:
        """Read metadata from a path, or from an http(s) URL when ``fetch`` is true."""
        if "://" in source:
            if not fetch:
                raise ExperimentMetadataError(
                    f"experiment metadata is at {source}, but fetching is off; "
                    "pass --fetch-experiments (or set experiments.fetch = true) to read it"
                )
            text = _download(source)
        else:
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as error:
                raise ExperimentMetadataError(f"{source}: {error.strerror}") from None
        return cls.parse(text, source)

    @classmethod
    def parse(cls, text: str, source: str) -> ExperimentCatalog:
        """Parse an Experimenter v6 JSON document."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ExperimentMetadataError(
                f"{source}:{error.lineno}: not valid JSON: {error.msg}"
            ) from None
        items = document if isinstance(document, list) else [document]
        try:
            return cls([Experiment.model_validate(item) for item in items])
        except ValidationError as error:
            raise ExperimentMetadataError(
                f"{source}: not Experimenter v6 metadata: {error.errors()[0]['msg']} at "
                f"{'.'.join(str(p) for p in error.errors()[0]['loc'])}"
            ) from None


def _download(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ExperimentMetadataError(f"{url}: only http(s) URLs can be fetched")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body: bytes = response.read()
    except OSError as error:
        raise ExperimentMetadataError(
            f"cannot fetch experiment metadata from {url}: {error}"
        ) from None
    return body.decode("utf-8")
