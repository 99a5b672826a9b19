-- BigQuery definitions of opwatch's own helpers, prepended to a rendered BigQuery script as
-- temporary functions (Mozilla's mozfun UDFs exist in BigQuery and are called as they are).
-- Statements are separated by lines holding only ";".

-- opwatch.normalized_histogram: one client's histograms summed per bucket and divided by their
-- total; NULL when there is no histogram or every count is zero. See duckdb.sql.
CREATE TEMP FUNCTION opwatch_normalized_histogram(histograms ANY TYPE) AS ((
    SELECT
        IF(SUM(total) > 0, ARRAY_AGG(STRUCT(key, total / grand_total AS value) ORDER BY key), NULL)
    FROM (
        SELECT key, total, SUM(total) OVER () AS grand_total
        FROM (
            SELECT CAST(entry.key AS INT64) AS key, CAST(SUM(entry.value) AS FLOAT64) AS total
            FROM UNNEST(histograms) AS histogram, UNNEST(histogram.values) AS entry
            GROUP BY 1
        )
    )
))
