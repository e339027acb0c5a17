-- The fan-out finisher (host/fan-outs.ts) also looks for open instances of deleted series and for
-- tasks of members who left a shared list: these indexes hold only those rows (deleted series, members
-- gone), so its looks stay small however many live tasks and members there are.
CREATE INDEX tasks_deleted_series ON tasks (deleted_at) WHERE deleted_at IS NOT NULL AND is_recurring;
CREATE INDEX list_members_gone ON list_members (updated_at) WHERE state IN ('left', 'removed');
