-- A list or label delete reaches its tasks after the user's turn, one task turn each (host/users/turn.ts
-- afterOrganise); a crash half-way left the rest in a deleted list, or carrying a deleted label, until
-- someone repeated the DELETE. The app now looks for such leftovers at start-up and every minute
-- (UserTurns.finishDeletes): these indexes hold only deleted rows, so that look stays small however many
-- live lists and labels there are.
CREATE INDEX lists_deleted ON lists (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX labels_deleted ON labels (deleted_at) WHERE deleted_at IS NOT NULL;
