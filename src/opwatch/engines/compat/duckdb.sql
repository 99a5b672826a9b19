-- DuckDB implementations of the Mozilla shared UDFs (mozfun.*, udf.*) that OpMon configs call.
-- Snippets are translated so that `mozfun.hist.extract(x)` becomes `mozfun_hist_extract(x)`
-- (see opwatch/sql/translate.py). Each macro follows the documented behaviour of its BigQuery
-- original; tests/engines/test_duckdb_compat.py checks each against an independent Python
-- computation. Statements are separated by lines holding only ";".

-- mozfun.hist.extract(histogram STRING): a legacy telemetry histogram (JSON) as a struct;
-- `values` lists the buckets as (key, value) pairs. NULL for NULL or unparsable input.
CREATE OR REPLACE MACRO mozfun_hist_extract(histogram) AS (
    CASE WHEN histogram IS NOT NULL AND json_valid(histogram) THEN struct_pack(
        bucket_count := TRY_CAST(json_extract_string(histogram, '$.bucket_count') AS BIGINT),
        histogram_type := TRY_CAST(json_extract_string(histogram, '$.histogram_type') AS BIGINT),
        "sum" := TRY_CAST(json_extract_string(histogram, '$.sum') AS BIGINT),
        "range" := TRY_CAST(json_extract(histogram, '$.range') AS BIGINT[]),
        "values" := list_transform(
            COALESCE(json_keys(histogram, '$.values'), []),
            lambda bucket: struct_pack(
                key := CAST(bucket AS BIGINT),
                value := CAST(json_extract_string(histogram, '$.values."' || bucket || '"') AS BIGINT)
            )
        )
    ) END
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
