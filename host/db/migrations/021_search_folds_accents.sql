-- Search folds accents: "cafe" finds "Café", "creme brulee" finds "Crème brûlée", "Zurich" finds "Zürich",
-- and the other way round, as people type on a keyboard without them (host/reads.ts searchCondition). The
-- folding is PostgreSQL's own unaccent dictionary (contrib; trusted, so the database's owner may create it;
-- PGlite loads it: host/db/pglite-engine.ts) inside a text search configuration: to_tsvector with a named
-- configuration is immutable, which a generated column needs (unaccent() itself is only stable). Each word
-- of the title and description is kept as written (migration 015) and added folded; a word without
-- accents folds to itself, so the vector grows only by the accented words.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION tasklane_folded (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION tasklane_folded
  ALTER MAPPING FOR asciihword, asciiword, hword, hword_asciipart, hword_part, word WITH unaccent, simple;
DROP INDEX tasks_search;
ALTER TABLE tasks DROP COLUMN search;
ALTER TABLE tasks ADD COLUMN search tsvector
  GENERATED ALWAYS AS (
    to_tsvector('simple', title || ' ' || coalesce(description, ''))
      || to_tsvector('tasklane_folded', title || ' ' || coalesce(description, ''))
      || array_to_tsvector(array_remove(regexp_split_to_array(lower(title), '[^[:alnum:]]+'), ''))
  ) STORED;
CREATE INDEX tasks_search ON tasks USING gin (search);
