-- Issue 16. A user's zone is either chosen (PATCH /me, or the dashboard setting the browser's zone at first
-- sign-in) or still the default UTC of a user created on first use. Existing users whose zone is not UTC,
-- or who ever changed it, chose it; the others did not. The user row is not rebuilt by replay (only its
-- events are kept), so the fill-in needs no twin in the decider.
ALTER TABLE users ADD COLUMN timezone_chosen boolean NOT NULL DEFAULT false;
UPDATE users u SET timezone_chosen = true
 WHERE u.timezone <> 'UTC'
    OR EXISTS (SELECT 1 FROM events e WHERE e.aggregate_type = 'user' AND e.aggregate_id = u.id AND e.event_type = 'user.timezone_changed');

-- A reminder that fired waits for the user to acknowledge it on any device (`reminder.acknowledged`). Rows
-- fired before this existed stay false: their `reminder.triggered` events carry no `unacknowledged` and
-- fold to false (actors/task/evolve.ts), so replay still rebuilds every row exactly, and a user upgrading
-- is not greeted by every reminder that ever fired.
ALTER TABLE reminders ADD COLUMN unacknowledged boolean NOT NULL DEFAULT false;
-- GET /reminders?state=unacknowledged: the user's waiting reminders, newest (remind_at) first.
CREATE INDEX reminders_unacknowledged ON reminders (user_id, remind_at DESC, id DESC) WHERE unacknowledged;
