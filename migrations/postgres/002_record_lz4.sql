-- Each decision's record (about 2 KB of canonical JSON) makes its row pass PostgreSQL's 2 KB
-- threshold, so every insert compresses it. lz4 does that at a fraction of pglz's cost: the
-- decision benchmark on PostgreSQL ran 2-22% faster in alternating runs (docs/performance.md), and
-- records still take about 70% of their text's size.
-- A server built without lz4, or older than PostgreSQL 14 (no SET COMPRESSION), keeps pglz.
DO $$
BEGIN
  ALTER TABLE decisions ALTER COLUMN record SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  RAISE NOTICE 'lz4 is not available on this server: decision records stay compressed with pglz';
END $$;
