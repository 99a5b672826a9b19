CREATE OR REPLACE TEMP TABLE opwatch_clients AS
WITH population_rows AS (
  SELECT
    CAST(submission_date AS DATE) AS submission_date,
    client_id AS client_id,
    CAST(NULL AS TEXT) AS build_id,
    CAST(normalized_os AS TEXT) AS "os",
    MOZFUN_MAP_GET_KEY(environment.experiments, 'opwatch-demo').branch AS branch
  FROM (
    SELECT
      *,
      CAST(submission_timestamp AS DATE) AS submission_date,
      environment.experiments
    FROM telemetry_stable.main_v5
  )
  WHERE
    (
      CAST(submission_date AS DATE) BETWEEN CAST('2024-03-10' AS DATE) AND CAST('2024-03-10' AS DATE)
      AND TRY_CAST(submission_date AS TIMESTAMP) >= CAST('2024-03-10' AS TIMESTAMP)
      AND TRY_CAST(submission_date AS TIMESTAMP) < CAST('2024-03-11' AS TIMESTAMP)
    )
    AND normalized_channel = 'release'
  GROUP BY
    1,
    2,
    3,
    4,
    5 /* OpMon drops clients that send more than 10,000 pings a day (bots, broken profiles) */
  HAVING
    COUNT(*) <= 10000
), population AS (
  SELECT
    *
  FROM population_rows
  WHERE
    TRUE AND branch IN ('control', 'treatment')
), clients AS (
  SELECT DISTINCT
    submission_date,
    client_id,
    build_id,
    "os",
    branch
  FROM population
), metrics_0 AS (
  /* main: gc_ms, gc_max_pause_ms_2, uri_count, active_ticks */
  SELECT
    _opwatch_submission_date AS submission_date,
    _opwatch_client_id AS client_id,
    _opwatch_build_id AS build_id,
    _opwatch_dimension_0 AS "os",
    _opwatch_branch AS branch,
    OPWATCH_NORMALIZED_HISTOGRAM(
      ARRAY_AGG({'values': (
        MOZFUN_HIST_EXTRACT(payload.histograms.gc_ms)
      ).values})
    ) AS _metric_0,
    OPWATCH_NORMALIZED_HISTOGRAM(
      ARRAY_AGG(
        {'values': (
          MOZFUN_HIST_EXTRACT(payload.histograms.gc_max_pause_ms_2)
        ).values}
      )
    ) AS _metric_1,
    CAST(COALESCE(SUM(payload.processes.parent.scalars.browser_engagement_total_uri_count), 0) AS DOUBLE) AS _metric_2,
    CAST(COALESCE(SUM(payload.simple_measurements.active_ticks), 0) AS DOUBLE) AS _metric_3
  FROM (
    SELECT
      *,
      CAST(submission_timestamp AS DATE) AS submission_date,
      environment.experiments
    FROM telemetry_stable.main_v5
  )
  JOIN (
    SELECT
      submission_date AS _opwatch_submission_date,
      client_id AS _opwatch_client_id,
      build_id AS _opwatch_build_id,
      "os" AS _opwatch_dimension_0,
      branch AS _opwatch_branch
    FROM population
  ) AS _opwatch_population
    ON CAST(submission_date AS DATE) = _opwatch_submission_date
    AND client_id = _opwatch_client_id
  WHERE
    (
      CAST(submission_date AS DATE) BETWEEN CAST('2024-03-10' AS DATE) AND CAST('2024-03-10' AS DATE)
      AND TRY_CAST(submission_date AS TIMESTAMP) >= CAST('2024-03-10' AS TIMESTAMP)
      AND TRY_CAST(submission_date AS TIMESTAMP) < CAST('2024-03-11' AS TIMESTAMP)
    )
  GROUP BY
    1,
    2,
    3,
    4,
    5
), metrics_1 AS (
  /* crash: main_crashes, crash_rate */
  SELECT
    _opwatch_submission_date AS submission_date,
    _opwatch_client_id AS client_id,
    _opwatch_build_id AS build_id,
    _opwatch_dimension_0 AS "os",
    _opwatch_branch AS branch,
    CAST(COUNT_IF(payload.process_type = 'main' OR payload.process_type IS NULL) AS DOUBLE) AS _metric_4,
    CAST(COUNT(*) AS DOUBLE) AS _metric_5
  FROM (
    SELECT
      *,
      CAST(submission_timestamp AS DATE) AS submission_date,
      environment.experiments
    FROM telemetry.crash
  )
  JOIN (
    SELECT
      submission_date AS _opwatch_submission_date,
      client_id AS _opwatch_client_id,
      build_id AS _opwatch_build_id,
      "os" AS _opwatch_dimension_0,
      branch AS _opwatch_branch
    FROM population
  ) AS _opwatch_population
    ON CAST(submission_date AS DATE) = _opwatch_submission_date
    AND client_id = _opwatch_client_id
  WHERE
    (
      CAST(submission_date AS DATE) BETWEEN CAST('2024-03-10' AS DATE) AND CAST('2024-03-10' AS DATE)
      AND TRY_CAST(submission_date AS TIMESTAMP) >= CAST('2024-03-10' AS TIMESTAMP)
      AND TRY_CAST(submission_date AS TIMESTAMP) < CAST('2024-03-11' AS TIMESTAMP)
    )
  GROUP BY
    1,
    2,
    3,
    4,
    5
), joined AS (
  SELECT
    clients.*,
    metrics_0._metric_0,
    metrics_0._metric_1,
    metrics_0._metric_2,
    metrics_0._metric_3,
    metrics_1._metric_4,
    metrics_1._metric_5
  FROM clients
  LEFT JOIN metrics_0
    ON metrics_0.submission_date = clients.submission_date
    AND metrics_0.client_id IS NOT DISTINCT FROM clients.client_id
    AND metrics_0.build_id IS NOT DISTINCT FROM clients.build_id
    AND metrics_0."os" IS NOT DISTINCT FROM clients."os"
    AND metrics_0.branch IS NOT DISTINCT FROM clients.branch
  LEFT JOIN metrics_1
    ON metrics_1.submission_date = clients.submission_date
    AND metrics_1.client_id IS NOT DISTINCT FROM clients.client_id
    AND metrics_1.build_id IS NOT DISTINCT FROM clients.build_id
    AND metrics_1."os" IS NOT DISTINCT FROM clients."os"
    AND metrics_1.branch IS NOT DISTINCT FROM clients.branch
)
SELECT
  *
FROM joined;

COPY (
    SELECT * FROM (SELECT
  submission_date,
  client_id,
  branch,
  build_id,
  "os",
  CASE _column
    WHEN '_metric_2'
    THEN 'uri_count'
    WHEN '_metric_3'
    THEN 'active_ticks'
    WHEN '_metric_4'
    THEN 'main_crashes'
    WHEN '_metric_5'
    THEN 'crash_rate'
  END AS name,
  CASE _column
    WHEN '_metric_2'
    THEN 'SUM'
    WHEN '_metric_3'
    THEN 'SUM'
    WHEN '_metric_4'
    THEN 'COUNTIF'
    WHEN '_metric_5'
    THEN 'COUNT'
  END AS agg_type,
  value
FROM opwatch_clients
UNPIVOT INCLUDE NULLS (value FOR _column IN (_metric_2, _metric_3, _metric_4, _metric_5))) WHERE submission_date = DATE '2024-03-10') TO 'results/.staging/<run>/opwatch_demo_scalar/2024-03-10.parquet' (FORMAT parquet, COMPRESSION zstd);

COPY (
    SELECT * FROM (SELECT
  submission_date,
  client_id,
  branch,
  build_id,
  "os",
  CASE _column
    WHEN '_metric_0'
    THEN 'gc_ms'
    WHEN '_metric_1'
    THEN 'gc_max_pause_ms_2'
  END AS probe,
  value
FROM opwatch_clients
UNPIVOT INCLUDE NULLS (value FOR _column IN (_metric_0, _metric_1))) WHERE submission_date = DATE '2024-03-10') TO 'results/.staging/<run>/opwatch_demo_histogram/2024-03-10.parquet' (FORMAT parquet, COMPRESSION zstd);

DROP TABLE IF EXISTS opwatch_clients;
