-- Pseudo-random helpers of the generator: every random number is a function of hash() of the
-- seed and of what it describes (client, day, ping, probe, sample), never of random(), so
-- the same spec always writes the same data. Statements are separated by lines holding ";".

-- A uniform variate in (0, 1) from a 64-bit hash (its top 53 bits).
CREATE OR REPLACE MACRO demo_unit(h) AS (((h >> 11)::DOUBLE + 0.5) / 9007199254740992.0)
;
-- A standard normal variate from one 64-bit hash (Box-Muller over its two 32-bit halves).
CREATE OR REPLACE MACRO demo_normal(h) AS (
    sqrt(-2.0 * ln(((h >> 32)::DOUBLE + 0.5) / 4294967296.0))
    * cos(6.283185307179586 * (((h & 4294967295)::DOUBLE + 0.5) / 4294967296.0))
)
;
-- A version 4 UUID string from two hashes (client ids, document ids).
CREATE OR REPLACE MACRO demo_uuid(h1, h2) AS (
    printf('%08x-%04x-4%03x-%04x-%012x', h1 >> 32, (h1 >> 16) & 65535, h1 & 4095,
           ((h2 >> 48) & 16383) | 32768, h2 & 281474976710655)
)
;
-- The bucket of sample v in a BucketGrid (see buckets.py): the boundary inside its cell when
-- v reaches it, else the bucket below.
CREATE OR REPLACE MACRO demo_grid_bucket(v, cell, boundaries, lowers) AS (
    CASE WHEN v >= boundaries[cell] THEN boundaries[cell] ELSE lowers[cell] END
)
;
-- Glean's functional bucket key of sample v with n buckets per power of 2.
CREATE OR REPLACE MACRO demo_functional_bucket(v, n) AS (
    CASE WHEN v <= 0 THEN 0
         ELSE CAST(floor(pow(2.0, floor(n * log2(v + 1)) / n)) AS BIGINT) END
)
;
-- Bucket keys and counts of a list of bucket keys, as Glean's values (key strings).
CREATE OR REPLACE MACRO demo_glean_values(keys) AS (
    list_transform(map_entries(list_aggregate(keys, 'histogram')),
                   lambda e: struct_pack(key := CAST(e.key AS VARCHAR),
                                         value := CAST(e.value AS BIGINT)))
)
;
-- A legacy histogram's JSON, as Firefox submits it, from its samples and their bucket keys.
CREATE OR REPLACE MACRO demo_histogram_json(bucket_count, histogram_type, low, high, samples, keys) AS (
    '{"bucket_count":' || bucket_count || ',"histogram_type":' || histogram_type
    || ',"sum":' || list_sum(samples) || ',"range":[' || low || ',' || high || '],"values":'
    || to_json(list_aggregate(keys, 'histogram')) || '}'
)
;
-- hash() of several values combines their hashes too weakly for independent draws (hashes
-- of (k, 1) and (k, 2) correlate): mix one value at a time into a well-mixed key instead.
CREATE OR REPLACE MACRO demo_hash(key, value) AS (hash(xor(key, hash(value))))
;
CREATE OR REPLACE MACRO demo_hash3(key, first, second) AS (demo_hash(demo_hash(key, first), second))
