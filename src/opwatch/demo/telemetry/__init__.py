"""Synthetic telemetry with planted effects, shaped like the tables OpMon configs read.

``generate(DemoSpec(...), folder)`` writes, one Parquet file per submission day and table,
desktop main, crash, event, uninstall, default-browser-agent, messaging-system and
background-update pings, clients_daily and the search aggregates, and Fenix and Firefox iOS
Glean pings. The returned :class:`GeneratedData` maps every table name configs use to its
files, ready for the engine settings::

    data = generate(DemoSpec(clients=2000, days=28), Path("demo-data"))
    settings = Settings.model_validate({"tables": data.tables})

Layout: ``spec`` (what to generate), ``population`` (who the clients are),
``desktop_probes`` / ``glean_probes`` / ``activity`` (what they send), ``buckets`` (histogram
layouts), ``context`` + ``templates/`` (the DuckDB SQL), ``generator`` (the day loop),
``tables`` (physical tables and their config names), ``corpus`` (the corpus projects fed).
"""

from opwatch.demo.telemetry.generator import generate
from opwatch.demo.telemetry.spec import DemoSpec, GeneratedData, PlantedEffects

__all__ = ["DemoSpec", "GeneratedData", "PlantedEffects", "generate"]
