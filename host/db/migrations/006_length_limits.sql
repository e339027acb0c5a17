-- Every length the application enforces is also a CHECK, with the same number as the TypeScript constant
-- it comes from (test/integration/schema-limits.test.ts reads these back from pg_constraint and compares):
-- a series' rule (MAX_RULE_LENGTH, actors/recurrence/rule.ts) and zone names (MAX_ZONE_LENGTH,
-- actors/zone.ts). The title and description limits are in 001 (MAX_TITLE, MAX_DESCRIPTION), the
-- Idempotency-Key's in 004 (IDEMPOTENCY_KEY, api/context.ts). Rows written so far already keep them: the
-- API has refused longer values since these columns exist.
ALTER TABLE tasks ADD CONSTRAINT tasks_recurrence_rule_length CHECK (recurrence_rule IS NULL OR length(recurrence_rule) <= 500);
ALTER TABLE tasks ADD CONSTRAINT tasks_timezone_length CHECK (timezone IS NULL OR length(timezone) <= 64);
ALTER TABLE users ADD CONSTRAINT users_timezone_length CHECK (length(timezone) <= 64);
