"""The per-client write: OpMon's long tables against one wide table, on the ETL benchmark's data.

OpMon (2022) wrote two long tables per project, a row per (client, metric); current OpMon writes
one wide table, a row per client with a column per metric. opwatch writes the long pair
(``<slug>_scalar``, ``<slug>_histogram``: docs/etl.md). This measures both layouts on the days
``benchmarks/etl.py`` generated and computed (run it first; ``--folder`` points at its folder):

- the day's clients rebuilt from the long tables as one wide table (a row per client and key
  values: a column per scalar metric, a list column per histogram) — the shape the ETL's query
  has just before it writes;
- **write**: the long pair, unpivoted as the ETL writes it, against the wide table as is
  (Parquet, zstd): seconds and bytes;
- **read**: the statistics step's engine sums over each layout (``statistics_scalar_moments``
  and ``statistics_histogram_sums``; over the wide table through a view that unpivots it),
  and the scalar sums written for the wide table (a column's sums in one pass).

Run: ``.venv/bin/python benchmarks/client_layout.py [--folder F] [--days N]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from opwatch.config.settings import Settings
from opwatch.engines import create_engine

ROOT = Path(__file__).resolve().parent
SLUG = "etl_benchmark"
KEYS = ["submission_date", "build_id", "os", "branch"]
THREADS = 2


def _template(name: str, **context: object) -> str:
    """A DuckDB read template, rendered as the statistics step renders it."""
    with tempfile.TemporaryDirectory() as results:
        engine = create_engine(Settings.model_validate({"engine": {"results": results}}))
        try:
            return engine.statements(name, **context)[0]
        finally:
            engine.close()


def wide_table(connection: duckdb.DuckDBPyConnection, tables: Path, day: date) -> list[str]:
    """The day's clients as one wide temp table ``wide``; returns the metric columns."""
    scalars = f"read_parquet('{tables}/{SLUG}_scalar/submission_date={day}/*.parquet')"
    histograms = f"read_parquet('{tables}/{SLUG}_histogram/submission_date={day}/*.parquet')"
    names = [row[0] for row in connection.sql(f"SELECT DISTINCT name FROM {scalars}").fetchall()]
    probes = [
        row[0] for row in connection.sql(f"SELECT DISTINCT probe FROM {histograms}").fetchall()
    ]
    keys = ", ".join(KEYS)
    scalar_columns = ", ".join(
        f"first(scalar) FILTER (WHERE name = '{name}') AS \"{name}\"" for name in sorted(names)
    )
    histogram_columns = ", ".join(
        f"first(histogram) FILTER (WHERE probe = '{probe}') AS \"{probe}\""
        for probe in sorted(probes)
    )
    # one GROUP BY over both tables: it matches NULL keys (build_id), as a join would not
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE wide AS
        SELECT {keys}, client_id, {scalar_columns}, {histogram_columns}
        FROM (SELECT {keys}, client_id, name, value AS scalar FROM {scalars}
              UNION ALL BY NAME
              SELECT {keys}, client_id, probe, value AS histogram FROM {histograms})
        GROUP BY ALL"""
    )
    return sorted(names) + sorted(probes)


def write_long(
    connection: duckdb.DuckDBPyConnection, out: Path, names: list[str], probes: list[str]
) -> None:
    """The ETL's two writes: UNPIVOT INCLUDE NULLS into the long tables."""
    keys = ", ".join(KEYS)
    scalars = ", ".join(f'"{n}"' for n in names)
    histograms = ", ".join(f'"{p}"' for p in probes)
    connection.execute(
        f"""COPY (SELECT {keys}, client_id, name, 'SUM' AS agg_type, value FROM wide
        UNPIVOT INCLUDE NULLS (value FOR name IN ({scalars})))
        TO '{out}/scalar.parquet' (FORMAT parquet, COMPRESSION zstd)"""
    )
    connection.execute(
        f"""COPY (SELECT {keys}, client_id, probe, value FROM wide
        UNPIVOT INCLUDE NULLS (value FOR probe IN ({histograms})))
        TO '{out}/histogram.parquet' (FORMAT parquet, COMPRESSION zstd)"""
    )


def write_wide(connection: duckdb.DuckDBPyConnection, out: Path) -> None:
    """The wide table as is."""
    connection.execute(f"COPY wide TO '{out}/wide.parquet' (FORMAT parquet, COMPRESSION zstd)")


def read_sums(
    connection: duckdb.DuckDBPyConnection, scalar_view: str, histogram_view: str, day: date
) -> tuple[float, float]:
    """Seconds of the statistics step's scalar and histogram sums over two views."""
    timings = []
    for template, view, keys in (
        ("statistics_scalar_moments", scalar_view, KEYS),
        ("statistics_histogram_sums", histogram_view, [*KEYS[:-1], "probe", KEYS[-1]]),
    ):
        query = _template(template, table=view, keys=keys)
        started = time.perf_counter()
        connection.execute(query, [day, day]).fetchnumpy()
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def wide_moments(names: list[str]) -> str:
    """The scalar moments of ``statistics_scalar_moments`` written for the wide table: every
    column's sums in one pass over a client row (a window per group for the means)."""
    keys = ", ".join(KEYS)
    windows, sums = [], []
    for index, name in enumerate(names):
        column = f'"{name}"'
        windows.append(
            f"count({column}) OVER per_group AS n{index}, fsum({column}) OVER per_group AS t{index}"
        )
        sums.append(
            f"any_value(n{index}), any_value(t{index}), count(*) FILTER (WHERE {column} < 0), "
            f"fsum(pow({column} - t{index} / nullif(n{index}, 0), 2)), "
            f"fsum(pow({column} - t{index} / clients, 2))"
        )
    return f"""SELECT {keys}, any_value(clients), {", ".join(sums)}
        FROM (SELECT *, count(*) OVER per_group AS clients, {", ".join(windows)}
              FROM wide_table WHERE submission_date BETWEEN ? AND ?
              WINDOW per_group AS (PARTITION BY {keys}))
        GROUP BY {keys}"""


def measure(folder: Path, days: int) -> Table:
    """Both layouts over the first ``days`` days of the benchmark's results."""
    tables = folder / "results" / "tables"
    partitions = sorted((tables / f"{SLUG}_scalar").glob("submission_date=*"))[:days]
    if not partitions:
        raise SystemExit(f"no {SLUG}_scalar partitions under {tables}: run benchmarks/etl.py")
    connection = duckdb.connect(config={"threads": THREADS})
    work = Path(tempfile.mkdtemp(prefix="opwatch-layout-"))
    totals = {"long": [0.0, 0.0, 0.0, 0.0], "wide": [0.0, 0.0, 0.0, 0.0]}
    native = 0.0
    clients = 0
    try:
        for partition in partitions:
            day = date.fromisoformat(partition.name.split("=")[1])
            columns = wide_table(connection, tables, day)
            probes = [c for c in columns if c in _probes(connection)]
            names = [c for c in columns if c not in probes]
            clients += int(connection.sql("SELECT count(*) FROM wide").fetchall()[0][0])
            for layout in ("long", "wide"):
                out = work / layout / str(day)
                out.mkdir(parents=True)
                started = time.perf_counter()
                if layout == "long":
                    write_long(connection, out, names, probes)
                else:
                    write_wide(connection, out)
                totals[layout][0] += time.perf_counter() - started
                totals[layout][1] += sum(f.stat().st_size for f in out.iterdir()) / 1e6
            _views(connection, work, day, names, probes)
            for layout in ("long", "wide"):
                scalar, histogram = read_sums(
                    connection, f"{layout}_scalar", f"{layout}_histogram", day
                )
                totals[layout][2] += scalar
                totals[layout][3] += histogram
            started = time.perf_counter()
            connection.execute(wide_moments(names), [day, day]).fetchnumpy()
            native += time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = Table(
        title=f"Per-client layouts: {len(partitions)} days, {clients:,} client rows, "
        f"{THREADS} threads"
    )
    for column in ("layout", "write s", "MB", "scalar sums s", "histogram sums s"):
        table.add_column(column, justify="left" if column == "layout" else "right")
    for layout, (write, size, scalar, histogram) in totals.items():
        table.add_row(layout, f"{write:.2f}", f"{size:,.1f}", f"{scalar:.2f}", f"{histogram:.2f}")
    table.add_row("wide, sums written for it", "", "", f"{native:.2f}", "")
    return table


def _probes(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The wide table's list columns (histograms)."""
    rows = connection.sql("DESCRIBE wide").fetchall()
    return {str(row[0]) for row in rows if str(row[1]).endswith("[]")}


def _views(
    connection: duckdb.DuckDBPyConnection,
    work: Path,
    day: date,
    names: list[str],
    probes: list[str],
) -> None:
    """The four tables the sums read: each layout's files, the wide one unpivoted."""
    keys = ", ".join(KEYS)
    long = work / "long" / str(day)
    wide = f"read_parquet('{work}/wide/{day}/wide.parquet')"
    connection.execute(f"CREATE OR REPLACE VIEW wide_table AS SELECT * FROM {wide}")
    connection.execute(
        f"CREATE OR REPLACE VIEW long_scalar AS SELECT * FROM '{long}/scalar.parquet'"
    )
    connection.execute(
        f"CREATE OR REPLACE VIEW long_histogram AS SELECT * FROM '{long}/histogram.parquet'"
    )
    scalars = ", ".join(f'"{n}"' for n in names)
    histograms = ", ".join(f'"{p}"' for p in probes)
    connection.execute(
        f"""CREATE OR REPLACE VIEW wide_scalar AS
        SELECT {keys}, client_id, name, 'SUM' AS agg_type, value
        FROM {wide} UNPIVOT INCLUDE NULLS (value FOR name IN ({scalars}))"""
    )
    connection.execute(
        f"""CREATE OR REPLACE VIEW wide_histogram AS
        SELECT {keys}, client_id, probe, value
        FROM {wide} UNPIVOT INCLUDE NULLS (value FOR probe IN ({histograms}))"""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--folder", type=Path, default=ROOT / ".data" / "etl-1000000x14")
    parser.add_argument("--days", type=int, default=3)
    arguments = parser.parse_args()
    Console().print(measure(arguments.folder, arguments.days))


if __name__ == "__main__":
    main()
