-- DuckDB implementations of the Mozilla shared UDFs (mozfun.*, udf.*) that OpMon configs call.
-- Snippets are translated so that `mozfun.hist.extract(x)` becomes `mozfun_hist_extract(x)`
-- (see opwatch/sql/translate.py). Each macro follows the documented behaviour of its BigQuery
-- original; tests/engines/test_duckdb_compat.py checks each against an independent Python
-- computation. Statements are separated by lines holding only ";".

-- mozfun.hist.extract(histogram STRING): a legacy telemetry histogram (JSON) as a struct;
-- `values` lists the buckets as (key, value) pairs. NULL for NULL or unparsable input.
-- from_json parses each document once (json_valid is a cheap scan that guards it). A macro
-- argument used twice is evaluated twice, so the parsed document is bound once as a lambda
-- parameter: list_transform([x], lambda p: ...)[1] (this idiom recurs below).
CREATE OR REPLACE MACRO mozfun_hist_extract(histogram) AS (
    CASE WHEN json_valid(histogram) THEN list_transform(
        [from_json(histogram, '{"bucket_count": "BIGINT", "histogram_type": "BIGINT",
            "sum": "BIGINT", "range": "BIGINT[]", "values": "MAP(BIGINT, BIGINT)"}')],
        lambda parsed: struct_pack(
            bucket_count := parsed.bucket_count,
            histogram_type := parsed.histogram_type,
            "sum" := parsed."sum",
            "range" := parsed."range",
            "values" := COALESCE(map_entries(parsed."values"), [])
        ))[1]
    END
)
;
-- mozfun.map.get_key(map ARRAY<STRUCT<key, value>>, key): the value of the first entry with key.
CREATE OR REPLACE MACRO mozfun_map_get_key(map, wanted) AS (
    list_extract(list_transform(list_filter(map, lambda entry: entry.key = wanted),
                                lambda entry: entry.value), 1)
)
;
-- udf.get_key: the older name of mozfun.map.get_key.
CREATE OR REPLACE MACRO udf_get_key(map, wanted) AS (mozfun_map_get_key(map, wanted))
;
-- mozfun.hist.threshold_count(histogram STRING, threshold): the count in buckets >= threshold.
CREATE OR REPLACE MACRO mozfun_hist_threshold_count(histogram, threshold) AS (
    COALESCE(list_sum(list_transform(
        list_filter(mozfun_hist_extract(histogram)."values", lambda b: b.key >= threshold),
        lambda b: b.value)), 0)
)
;
-- udf.keyed_histogram_get_sum(keyed_histogram ARRAY<STRUCT<key, value STRING>>, key):
-- the `sum` of the histogram stored under key.
CREATE OR REPLACE MACRO udf_keyed_histogram_get_sum(keyed_histogram, wanted) AS (
    mozfun_hist_extract(udf_get_key(keyed_histogram, wanted))."sum"
)
;
-- mozfun.map.extract_keyed_scalar_sum(keyed_scalar ARRAY<STRUCT<key, value INT64>>): the sum.
CREATE OR REPLACE MACRO mozfun_map_extract_keyed_scalar_sum(keyed_scalar) AS (
    list_sum(list_transform(keyed_scalar, lambda entry: entry.value))
)
;
-- mozfun.bits28.days_since_seen(bits INT64): days since the most recent set bit (bit 0 is the
-- day itself) among the last 28; NULL when none is set.
CREATE OR REPLACE MACRO mozfun_bits28_days_since_seen(bits) AS (
    CASE WHEN bits IS NOT NULL AND (bits & 268435455) <> 0
         THEN bit_count(((bits & 268435455) & -(bits & 268435455)) - 1) END
)
;
-- mozfun.norm.fenix_build_to_datetime(app_build STRING): the build time of a Fenix build code.
-- 8 digits: yDDDHHmm (years since 2018, day of year, hour, minute). 10 digits: bits 4-20 of
-- the integer count hours since 2014-12-28 00:00. Anything else: NULL.
CREATE OR REPLACE MACRO mozfun_norm_fenix_build_to_datetime(app_build) AS (
    CASE
        WHEN length(app_build) = 8 AND regexp_full_match(app_build, '[0-9]{8}')
             AND substr(app_build, 5, 2) < '24' AND substr(app_build, 7, 2) < '60'
        THEN make_timestamp(2018 + CAST(substr(app_build, 1, 1) AS BIGINT), 1, 1,
                            CAST(substr(app_build, 5, 2) AS BIGINT),
                            CAST(substr(app_build, 7, 2) AS BIGINT), 0)
             + to_days(CAST(substr(app_build, 2, 3) AS INTEGER) - 1)
        WHEN length(app_build) = 10 AND regexp_full_match(app_build, '[0-9]{10}')
        THEN TIMESTAMP '2014-12-28 00:00:00'
             + to_hours(CAST((CAST(app_build AS BIGINT) >> 3) & 131071 AS INTEGER))
    END
)
;
-- mozfun.norm.os(os STRING): a platform name folded into Windows, Mac, Linux, Android, iOS, Other.
CREATE OR REPLACE MACRO mozfun_norm_os(os) AS (
    CASE
        WHEN os IS NULL THEN NULL
        WHEN os LIKE 'Windows%' OR os LIKE 'WINNT%' THEN 'Windows'
        WHEN os LIKE 'Darwin%' THEN 'Mac'
        WHEN os LIKE '%Linux%' OR os LIKE '%BSD%' OR os LIKE '%SunOS%' OR os LIKE '%Solaris%'
            THEN 'Linux'
        WHEN os LIKE 'iOS%' OR os LIKE '%iPhone%' THEN 'iOS'
        WHEN os LIKE 'Android%' THEN 'Android'
        ELSE 'Other'
    END
)
;
-- mozfun.norm.windows_version_info(os, os_version, windows_build_number): the marketing name.
CREATE OR REPLACE MACRO mozfun_norm_windows_version_info(os, os_version, build_number) AS (
    CASE
        WHEN os NOT IN ('Windows_NT', 'Windows_95', 'Windows_98') THEN NULL
        WHEN os = 'Windows_95' THEN 'Windows 95'
        WHEN os = 'Windows_98' THEN 'Windows 98'
        WHEN os_version = '4.0' THEN 'Windows NT 4.0'
        WHEN os_version = '5.0' THEN 'Windows 2000'
        WHEN os_version IN ('5.1', '5.2') THEN 'Windows XP'
        WHEN os_version = '6.0' THEN 'Windows Vista'
        WHEN os_version = '6.1' THEN 'Windows 7'
        WHEN os_version = '6.2' THEN 'Windows 8'
        WHEN os_version = '6.3' THEN 'Windows 8.1'
        WHEN os_version = '10.0' AND build_number >= 22000 THEN 'Windows 11'
        WHEN os_version = '10.0' THEN 'Windows 10'
    END
)

;
-- mozfun.glam.histogram_normalized_sum(arrs ARRAY<STRUCT<key STRING, value INT64>>, weight):
-- counts summed per key, divided by the total count, times weight (NULL values when the total
-- is 0, as SAFE_DIVIDE gives). Keys are kept as given, listed in sorted order.
CREATE OR REPLACE MACRO mozfun_glam_histogram_normalized_sum(arrs, weight) AS (
    list_transform(list_sort(list_distinct(list_transform(arrs, lambda e: e.key))),
        lambda k: struct_pack(
            key := k,
            value := CAST(list_sum(list_transform(list_filter(arrs, lambda e: e.key = k),
                                                  lambda e: e.value)) AS DOUBLE)
                     / nullif(list_sum(list_transform(arrs, lambda e: e.value)), 0) * weight))
)
;
-- opwatch's own helpers (templates call them as opwatch.<name>).
-- opwatch.normalized_histogram(histograms ARRAY<STRUCT<..., values ARRAY<STRUCT<key, value>>>>):
-- one client's histograms summed per bucket and divided by their total, so that the client
-- weighs 1 however many pings it sent: ARRAY<STRUCT<key INT64, value FLOAT64>> sorted by key.
-- Keys may be integers (legacy histograms) or numeric strings (Glean distributions).
-- NULL when the client has no histogram or every count is zero.
-- A client usually sends one histogram a day: its keys are distinct already, so it only needs
-- sorting and dividing; the general case sums equal keys (quadratic in the bucket count).
CREATE OR REPLACE MACRO opwatch_normalized_histogram(histograms) AS (
    CASE WHEN len(histograms) = 1
    THEN opwatch_divided_by_total(list_sort(opwatch_entries(histograms[1]."values")))
    ELSE opwatch_divided_by_total(opwatch_summed_by_key(
        flatten(list_transform(histograms, lambda h: opwatch_entries(h."values")))))
    END
)
;
-- A histogram's (key, value) pairs with integer keys and real values.
CREATE OR REPLACE MACRO opwatch_entries(pairs) AS (
    list_transform(pairs,
        lambda e: struct_pack(key := CAST(e.key AS BIGINT), value := CAST(e.value AS DOUBLE)))
)
;
-- Entries summed per key, sorted by key.
CREATE OR REPLACE MACRO opwatch_summed_by_key(entries) AS (
    list_transform([entries], lambda all_entries: list_transform(
        list_sort(list_distinct(list_transform(all_entries, lambda e: e.key))),
        lambda bucket: struct_pack(key := bucket, value := list_sum(list_transform(
            list_filter(all_entries, lambda e: e.key = bucket), lambda e: e.value)))))[1]
)
;
-- Entries divided by their total; NULL when there are none or the total is zero.
CREATE OR REPLACE MACRO opwatch_divided_by_total(entries) AS (
    list_transform([entries], lambda sorted_entries:
        list_transform([list_sum(list_transform(sorted_entries, lambda e: e.value))],
            lambda total: CASE WHEN total > 0 THEN list_transform(sorted_entries,
                lambda e: struct_pack(key := e.key, value := e.value / total)) END)[1])[1]
)
