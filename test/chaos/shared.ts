// The chaos run's shared list, as its clients see it: from the messages a member's sockets received and
// the member's whole stream (socket and backfill), the socket messages about the list that reached the
// member while they were not a member of it (after a removal, before accepting again). The windows come
// from the member's own stream in seq order, as the SQL audit (test/helpers/membership-audit.ts) reads
// them from the database, so the check is exact, not a timing margin.

/** What a client keeps of each event it received: enough to tell what it is about and whom. */
export interface Received {
  seq: number;
  /** The envelope's user_id: must be the client's user. */
  user_id: string;
  event_type: string;
  aggregate_id: string;
  /** data.user_id of a membership event: the user it is about. */
  about?: string;
}

/** Keeps what the check needs of an event envelope (a socket message or a GET /events row). */
export function received(e: {
  seq: number;
  user_id: string;
  event_type: string;
  aggregate_id: string;
  data?: { user_id?: unknown };
}): Received {
  const about = e.data?.user_id;
  return {
    seq: e.seq,
    user_id: e.user_id,
    event_type: e.event_type,
    aggregate_id: e.aggregate_id,
    ...(typeof about === 'string' ? { about } : {}),
  };
}

/**
 * The socket messages to `user` about list `listId` (the list itself, or one of `taskIds`, the tasks
 * ever in it) whose seq lies outside the user's membership of the list. `stream` is everything the
 * user's client received, by seq (socket and backfill); `socket` the seqs that came over a socket. The
 * user is a member from `list.created` in their stream or `list.invitation_accepted` about them, and no
 * longer after `list.member_removed` or `list.member_left` about them; those events, the invitation
 * (`list.shared` about them), the list's `list.updated` while they are invited and the cancellation of their own reminders on the list's tasks (a reminder
 * event reaches only its owner, actors/list/audience.ts) reach them outside a membership by design, as
 * the SQL audit allows them (test/helpers/membership-audit.ts).
 */
export function outsideMembership(
  user: string,
  listId: string,
  taskIds: ReadonlySet<string>,
  stream: ReadonlyMap<number, Received>,
  socket: ReadonlySet<number>,
): Received[] {
  const out: Received[] = [];
  let member = false;
  let invited = false;
  for (const seq of [...stream.keys()].sort((a, b) => a - b)) {
    const e = stream.get(seq) as Received;
    const onList = e.aggregate_id === listId;
    if (onList && e.event_type === 'list.created') member = true;
    if (onList && e.about === user) {
      if (e.event_type === 'list.invitation_accepted') member = true;
      if (e.event_type !== 'list.shared') invited = false;
      if (e.event_type === 'list.member_removed' || e.event_type === 'list.member_left') {
        member = false;
        continue;
      }
      if (e.event_type === 'list.shared') invited = true;
      if (e.event_type === 'list.shared' || e.event_type === 'list.invitation_declined') continue;
    }
    // While invited, the list's renames reach the invitee (their invitation shows its name and colour; the
    // SQL audit checks that such a list.updated changes nothing else).
    if (onList && invited && e.event_type === 'list.updated') continue;
    if (onList && e.event_type === 'list.deleted') invited = false;
    if (e.event_type === 'reminder.cancelled') continue; // their own reminder, cancelled as they go
    if (!member && socket.has(seq) && (onList || taskIds.has(e.aggregate_id))) out.push(e);
  }
  return out;
}
