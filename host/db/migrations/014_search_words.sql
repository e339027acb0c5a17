-- Search finds what the query's words are, whatever PostgreSQL's text parser makes of them. The parser
-- reads by context: `2909e70c` alone is a number in scientific notation (`2909e70`) and a word (`c`), but
-- inside `milk-2909e70c` it is one word, and `3.14` is one token while a query splits it. A query built
-- by the same parser from other context (to_tsquery) then missed tasks whose title holds the very text
-- typed. Now the query side takes no parser at all (host/reads.ts: each typed run of letters
-- and digits, lower-cased, as a literal prefix lexeme), and the `search` column holds, beside the parser's
-- lexemes, every run of letters and digits of the text (`tasklane_search_words`), so each typed word has
-- its run in the document, however the parser read it.
CREATE FUNCTION tasklane_search_words(text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$
    SELECT array_to_tsvector(coalesce(array_agg(DISTINCT w), '{}'))
      FROM regexp_split_to_table(lower($1), '[^[:alnum:]]+') AS w
     WHERE w <> '' AND octet_length(w) < 2047
  $$;

DROP INDEX tasks_search;
ALTER TABLE tasks DROP COLUMN search;
ALTER TABLE tasks ADD COLUMN search tsvector
  GENERATED ALWAYS AS (
    to_tsvector('simple', title || ' ' || coalesce(description, ''))
      || tasklane_search_words(title || ' ' || coalesce(description, ''))
  ) STORED;
CREATE INDEX tasks_search ON tasks USING gin (search);
