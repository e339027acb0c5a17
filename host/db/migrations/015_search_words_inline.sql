-- Migration 014 added each run of letters and digits of the text to the `search` column through a SQL
-- function, which PostgreSQL plans again for every statement that writes a task: measured, it took the
-- database's CPU per task write from about 17 to 62 µs (and per PATCH at 600/s from 0.32 to 0.45 s per
-- 1,000). The same words now come from an inline expression (about 21 µs), and from the title only: a
-- title is at most 500 characters, so no run exceeds a lexeme's 2,047 bytes (array_to_tsvector would keep
-- a longer one garbled), while a description may hold 10,000. A description's words are found as the
-- parser reads them, and the query accepts either reading of each typed word, or the parser's reading of the whole text
-- (host/reads.ts searchCondition).
DROP INDEX tasks_search;
ALTER TABLE tasks DROP COLUMN search;
DROP FUNCTION IF EXISTS tasklane_search_words(text);
ALTER TABLE tasks ADD COLUMN search tsvector
  GENERATED ALWAYS AS (
    to_tsvector('simple', title || ' ' || coalesce(description, ''))
      || array_to_tsvector(array_remove(regexp_split_to_array(lower(title), '[^[:alnum:]]+'), ''))
  ) STORED;
CREATE INDEX tasks_search ON tasks USING gin (search);
