// Read-side queries for the API: task lists (filters, full-text search, sorts with keyset paging), the
// user's lists and labels, the views' counts, a user's events after a seq, the admin audit, and the
// outbox backlog. Writes never go through here.
import type { Db } from './db/index.ts';
import type { TaskState, ReminderState } from '../actors/task/index.ts';
import type { EventEnvelope } from '../actors/events.ts';
import type { ListState } from '../actors/list/index.ts';
import type { LabelState } from '../actors/label/index.ts';
import {
  TASK_COLUMNS,
  taskColumnsOf,
  REMINDER_COLUMNS,
  reminderColumnsOf,
  LIST_COLUMNS,
  LABEL_COLUMNS,
  toTask,
  visibleBranches,
  visibleTasks,
  viaSharedLists,
  sharedListsWhere,
  accessibleTo,
  type TaskRow,
} from './tasks/rows.ts';
import { eventsAfter, adminEvents, unpublishedSince, publishedSince, type AuditedEvent } from './stream-reads.ts';
import type {
  ReadsPort,
  SeriesTask,
  TaskFilter,
  AdminFilter,
  TaskPage,
  TaskSort,
  ViewCounts,
  ViewWindows,
  WaitingReminder,
} from '../api/ports.ts';

export type { TaskFilter, AdminFilter };

/**
 * A task's due date as ties under another sort compare it: a series' next occurrence (its own due date is
 * its start, long past for most: every series would head its priority), and a task without one (an ended
 * series too) after every date. Migration 020's index holds the same expression.
 */
const DUE_OR_NEVER = "COALESCE(CASE WHEN is_recurring THEN next_occurrence ELSE due_date END, 'infinity'::timestamptz)";

/**
 * Each sort's key as SQL orders and compares it, its type for the cursor's parameter, and whether a task
 * may lack it (those come last in either order). Titles compare lower-cased, byte-wise (COLLATE "C"),
 * so PostgreSQL and PGlite order them alike whatever their locale; each has an index (migration 007).
 * `ties`: how tasks with the same key are ordered before their ids: tasks of one priority by due date,
 * soonest first, those without one last, as todo apps order them, not in the random order of their ids;
 * descending is the exact reverse (one index scan either way: migration 020).
 */
const SORTS: Record<TaskSort, { expr: string; type: string; nullable: boolean; ties?: string }> = {
  due: { expr: 'due_date', type: 'timestamptz', nullable: true },
  priority: { expr: 'priority', type: 'smallint', nullable: false, ties: DUE_OR_NEVER },
  created: { expr: 'created_at', type: 'timestamptz', nullable: false },
  title: { expr: 'lower(title) COLLATE "C"', type: 'text', nullable: false },
  completed: { expr: 'completed_at', type: 'timestamptz', nullable: true },
};

/**
 * The sort key of a row as a cursor carries it (instants as the row gives them, ISO). Priority's carries
 * its ties' key too, as the query computed it (`sort_tie`, SORTS `ties`; 'infinity' for none):
 * `<priority>|<instant, ISO; empty for none>` (api/present.ts decodeTaskCursor reads it).
 */
function keyOf(sort: TaskSort, row: TaskRow & { title_key: string; sort_tie: unknown }): string | null {
  switch (sort) {
    case 'due':
      return row.due_date;
    case 'priority':
      return `${row.priority}|${row.sort_tie === 'infinity' ? '' : String(row.sort_tie)}`;
    case 'created':
      return row.created_at;
    case 'title':
      return row.title_key;
    case 'completed':
      return row.completed_at;
  }
}

/**
 * The SQL condition that a task's `search` column matches what a user typed (`text`). Its words are its runs
 * of letters, marks and digits (a word of a script written with combining marks stays whole), at most 8,
 * lower-cased in SQL by the rules the index was (JavaScript's and PostgreSQL's case mappings differ, e.g.
 * for a final sigma). Every word must match as a prefix, in either reading — as typed (a literal lexeme:
 * the title's runs of letters and digits are lexemes of their own, migration 015) or as PostgreSQL's text
 * parser reads it (`2909e70c` alone reads as the number `2909e70` and the word `c`) — or else the whole text
 * must match as the parser reads it (`3.14` and `v1.2.3` are one lexeme each in a description). A word the
 * parser does not index at all (`½`) is left out, as to_tsquery leaves it out. Accents fold both ways: each
 * word also matches as the `tasklane_folded` configuration reads it (PostgreSQL's unaccent, migration 021),
 * so "cafe" and "café" both find "Café" and "Cafe". `p` adds a parameter and
 * returns its placeholder. Null when there is no word. Words hold only letters, marks and digits, so quoting
 * them as a lexeme needs no escapes.
 */
export function searchCondition(text: string, p: (value: unknown) => string): string | null {
  const words = (text.match(/[\p{L}\p{M}\p{N}]+/gu) ?? []).slice(0, 8);
  if (words.length === 0) return null;
  const each = words.map((w) => {
    const x = p(w);
    const parsed = `to_tsquery('simple', ${x} || ':*')`;
    const folded = `to_tsquery('tasklane_folded', ${x} || ':*')`;
    return `(CASE WHEN numnode(${parsed}) = 0 THEN ''::tsquery ELSE (('''' || lower(${x}) || ''':*')::tsquery || ${parsed} || ${folded}) END)`;
  });
  const whole = p(text);
  return `search @@ ((${each.join(' && ')}) || plainto_tsquery('simple', ${whole}) || plainto_tsquery('tasklane_folded', ${whole}))`;
}

/**
 * The SQL of one page of `userId`'s visible tasks matching `f` (Reads.listTasks), as text and parameters;
 * exported so a test can EXPLAIN exactly what the API runs.
 */
export function listTasksQuery(userId: string, f: TaskFilter): { text: string; params: unknown[] } {
  const where = ['deleted_at IS NULL'];
  const params: unknown[] = [userId];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (f.completed !== undefined) where.push(`completed = ${p(f.completed)}`);
  if (f.due_before) where.push(`due_date < ${p(f.due_before)}`);
  if (f.due_after) where.push(`due_date >= ${p(f.due_after)}`);
  if (f.window) {
    // A view: timed tasks by instant, all-day tasks by their date (issue 16).
    const w = f.window;
    const timed = ['due_day IS NULL', 'due_date IS NOT NULL'];
    if (w.due_before) timed.push(`due_date < ${p(w.due_before)}`);
    if (w.due_after) timed.push(`due_date >= ${p(w.due_after)}`);
    const allDay = ['due_day IS NOT NULL'];
    if (w.day_before) allDay.push(`due_day < ${p(w.day_before)}`);
    if (w.day_from) allDay.push(`due_day >= ${p(w.day_from)}`);
    where.push(`((${timed.join(' AND ')}) OR (${allDay.join(' AND ')}))`);
  }
  if (f.completed_after) where.push(`completed_at >= ${p(f.completed_after)}`);
  if (f.series_id) where.push(`series_id = ${p(f.series_id)}`);
  if (f.list_id) where.push(`list_id = ${p(f.list_id)}`);
  if (f.label) where.push(`labels @> ARRAY[${p(f.label)}]::uuid[]`);
  if (f.priority !== undefined) where.push(`priority = ${p(f.priority)}`);
  if (f.assignee !== undefined) where.push(`assignee = ${p(f.assignee)}`);
  if (f.no_series) where.push('NOT is_recurring');
  if (f.q !== undefined) where.push(searchCondition(f.q, p) ?? 'false');
  const sort = SORTS[f.sort];
  const dir = f.order === 'asc' ? 'ASC' : 'DESC';
  const cmp = f.order === 'asc' ? '>' : '<';
  if (f.cursor) {
    // A placeholder only where the condition uses it: PostgreSQL cannot type a parameter no clause names.
    const cursorId = f.cursor.id;
    const id = () => `${p(cursorId)}::uuid`;
    if (f.cursor.key === null) where.push(`(${sort.expr} IS NULL AND id ${cmp} ${id()})`);
    else if (sort.ties) {
      const [key = '', tie = ''] = f.cursor.key.split('|');
      // '*': a cursor from before ties had a key (api/present.ts): that key's tasks again, from the first.
      if (tie === '*') where.push(`${sort.expr} ${cmp}= ${p(key)}::${sort.type}`);
      else {
        const tieValue = tie === '' ? "'infinity'::timestamptz" : `${p(tie)}::timestamptz`;
        where.push(`(${sort.expr}, ${sort.ties}, id) ${cmp} (${p(key)}::${sort.type}, ${tieValue}, ${id()})`);
      }
    } else {
      const after = `(${sort.expr}, id) ${cmp} (${p(f.cursor.key)}::${sort.type}${f.sort === 'title' ? ' COLLATE "C"' : ''}, ${id()})`;
      where.push(sort.nullable ? `(${sort.expr} IS NULL OR ${after})` : after);
    }
  }
  // tasks.id, not id: the output column `id` is the text form, and ordering by it keeps the index from
  // giving the order. NULLS LAST in either direction is "tasks without the key last".
  const nulls = sort.nullable ? ' NULLS LAST' : '';
  const order = `${sort.expr} ${dir}${nulls}, ${sort.ties ? `${sort.ties} ${dir}, ` : ''}tasks.id ${dir}`;
  // One page of each branch of visibleTo (the user's own tasks, others' in their shared lists), each
  // on its index order, then the page of both: an OR of the branches would lose the index order.
  const limit = p(f.limit + 1);
  const { home, shared } = visibleBranches('tasks', '$1');
  const branch = (access: string) =>
    `SELECT ${TASK_COLUMNS}, lower(title) AS title_key, tasks.id AS sort_id, ${sort.expr} AS sort_key,
      ${sort.ties ?? 'NULL'} AS sort_tie FROM tasks
      WHERE ${access} AND ${where.join(' AND ')} ORDER BY ${order} LIMIT ${limit}`;
  const collate = f.sort === 'title' ? ' COLLATE "C"' : '';
  const outer = `v.sort_key${collate} ${dir}${nulls}, ${sort.ties ? `v.sort_tie ${dir}, ` : ''}v.sort_id ${dir}`;
  return {
    text: `SELECT * FROM ((${branch(home)}) UNION ALL (${viaSharedLists('$1', branch(shared))})) v
      ORDER BY ${outer} LIMIT ${limit}`,
    params,
  };
}

/**
 * SQL: task `t` is an occurrence whose live series is in the same list (and satisfies `also`), so the
 * series' row stands for it and a count takes the two once (one row per series: realtime/public/views.js
 * oneRowPerSeries).
 */
const rowOfItsSeries = (t: string, also = 'true'): string =>
  `(${t}.series_id IS NOT NULL AND EXISTS (SELECT 1 FROM tasks s WHERE s.id = ${t}.series_id
    AND s.list_id = ${t}.list_id AND s.deleted_at IS NULL AND ${also}))`;

/** The read side api/ uses (ReadsPort), plus what host/ and realtime/ feeds need. */
export class Reads implements ReadsPort {
  constructor(private readonly db: Db) {}

  /**
   * One page of the user's live tasks matching `f`, ordered by (sort key, id) in `f.order` (tasks without
   * the key last; under priority, ties by due date: SORTS), after `f.cursor`: keyset paging, so a page never repeats or skips a task that kept its
   * key while others were created, edited or deleted. `keys` are the page's sort keys for the next cursor.
   */
  async listTasks(userId: string, f: TaskFilter): Promise<TaskPage> {
    const query = listTasksQuery(userId, f);
    const rows = await this.db.query<
      TaskRow & { title_key: string; sort_id: string; sort_key: unknown; sort_tie: unknown }
    >(query.text, query.params);
    const shown = rows.rows.slice(0, f.limit);
    const keys = shown.map((row) => keyOf(f.sort, row));
    const page = shown.map(({ sort_id: _id, sort_key: _key, sort_tie: _tie, ...row }) => row);
    const reminders =
      page.length === 0
        ? []
        : (
            await this.db.query<ReminderState>(
              // Only the viewer's own reminders: reminders are per member (issue 17).
              `SELECT ${REMINDER_COLUMNS} FROM reminders WHERE task_id = ANY($1::uuid[]) AND user_id = $2 ORDER BY created_at, id`,
              [page.map((t) => t.id), userId],
            )
          ).rows;
    const byTask = new Map<string, ReminderState[]>();
    for (const r of reminders) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
    return {
      tasks: page.map(({ title_key: _key, ...t }) => toTask(t, byTask.get(t.id) ?? [])),
      keys,
      more: rows.rows.length > f.limit,
    };
  }

  /**
   * Every character PostgreSQL's unaccent dictionary folds, and what to (`{ "é": "e", "ß": "ss", "Ł": "L",
   * "\u0301": "" … }`): the folding search applies (migration 021), read from the database's own dictionary so
   * the dashboard folds exactly as the server matches (realtime/public/views.js). Code points U+0080 to
   * U+1FFFF (the rules hold none beyond); about 2,700 entries, read in under 0.1 s.
   */
  async searchFold(): Promise<Record<string, string>> {
    const rows = await this.db.query<{ c: string; f: string }>(
      `SELECT chr(g) AS c, (ts_lexize('unaccent', chr(g)))[1] AS f FROM generate_series(128, 131071) g
        WHERE (g < 55296 OR g > 57343) AND ts_lexize('unaccent', chr(g)) IS NOT NULL`,
    );
    return Object.fromEntries(rows.rows.map((r) => [r.c, r.f]));
  }

  /**
   * The user's live lists (ReadsPort.lists): their own, by position (the Inbox first), then created_at,
   * id; then the live shared lists of others they are an active editor of, by their owner's position,
   * created_at, id. `role`
   * is the user's role in each ('owner' for their own); the owner is `user_id`, `shared` says whether
   * the list was ever shared.
   */
  async lists(userId: string): Promise<(ListState & { role: 'owner' | 'editor' })[]> {
    const rows = await this.db.query<ListState & { role: 'owner' | 'editor'; part: number; sort_id: string }>(
      `SELECT ${LIST_COLUMNS}, 'owner' AS role, 0 AS part, lists.id AS sort_id FROM lists
        WHERE user_id = $1 AND deleted_at IS NULL
      UNION ALL
      ${viaSharedLists('$1', `SELECT ${LIST_COLUMNS}, 'editor', 1, lists.id FROM lists WHERE ${sharedListsWhere('$1')}`)}
      ORDER BY part, inbox DESC, position, created_at, sort_id`,
      [userId],
    );
    return rows.rows.map(({ part: _part, sort_id: _id, ...list }) => list);
  }

  async labels(userId: string): Promise<LabelState[]> {
    const rows = await this.db.query<LabelState>(
      `SELECT ${LABEL_COLUMNS} FROM labels WHERE user_id = $1 AND deleted_at IS NULL
      ORDER BY lower(name) COLLATE "C", id`,
      [userId],
    );
    return rows.rows;
  }

  async list(userId: string, id: string): Promise<ListState | null> {
    const rows = await this.db.query<ListState>(
      `SELECT ${LIST_COLUMNS} FROM lists WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [userId, id],
    );
    return rows.rows[0] ?? null;
  }

  async label(userId: string, id: string): Promise<LabelState | null> {
    const rows = await this.db.query<LabelState>(
      `SELECT ${LABEL_COLUMNS} FROM labels WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [userId, id],
    );
    return rows.rows[0] ?? null;
  }

  /**
   * The views' counts in one pass over the user's live tasks (series themselves left out of the views,
   * as GET /tasks?view= leaves them out), and open tasks per live list.
   */
  async counts(userId: string, w: ViewWindows): Promise<ViewCounts> {
    const views = await this.db.query<{
      today: number;
      upcoming: number;
      overdue: number;
      completed_recent: number;
      assigned: number;
      next_due_at: string | null;
    }>(
      `SELECT
        count(*) FILTER (WHERE NOT completed AND NOT is_recurring AND CASE WHEN due_day IS NULL THEN due_date < $3 ELSE due_day < $7 END)::int AS today,
        count(*) FILTER (WHERE NOT completed AND NOT is_recurring AND CASE WHEN due_day IS NULL THEN due_date >= $2 AND due_date < $4 ELSE due_day >= $6 AND due_day < $8 END)::int AS upcoming,
        count(*) FILTER (WHERE NOT completed AND NOT is_recurring AND CASE WHEN due_day IS NULL THEN due_date < $2 ELSE due_day < $6 END)::int AS overdue,
        count(*) FILTER (WHERE completed AND completed_at >= $5)::int AS completed_recent,
        count(*) FILTER (WHERE NOT completed AND assignee = $1 AND NOT ${rowOfItsSeries('t', 's.assignee = $1')})::int AS assigned,
        min(due_date) FILTER (WHERE NOT completed AND NOT is_recurring AND due_day IS NULL AND due_date >= $2) AS next_due_at
      FROM ${visibleTasks('$1', 't')} WHERE t.deleted_at IS NULL`,
      // All-day tasks count by their date in the user's zone (issue 16), as the views list them (api/views.ts).
      [userId, w.now, w.todayEnd, w.upcomingEnd, w.recentSince, w.today, w.tomorrow, w.upcomingEndDay],
    );
    // Every list the user sees (their own, and the shared ones they have access to): the user sees all
    // of its tasks (a list holds others' tasks only once it is shared). A series counts once with its
    // open occurrences, as the list shows it (one row per series: realtime/public/views.js oneRowPerSeries).
    const perList = await this.db.query<{ id: string; open: number }>(
      `SELECT l.id::text AS id,
        (SELECT count(*) FROM tasks t WHERE t.list_id = l.id AND t.deleted_at IS NULL AND NOT t.completed
          AND NOT ${rowOfItsSeries('t')})::int AS open
      FROM (SELECT id FROM lists WHERE user_id = $1 AND deleted_at IS NULL
        UNION ALL ${viaSharedLists('$1', `SELECT lists.id FROM lists WHERE ${sharedListsWhere('$1')}`)}) l`,
      [userId],
    );
    const v = views.rows[0] ?? {
      today: 0,
      upcoming: 0,
      overdue: 0,
      completed_recent: 0,
      assigned: 0,
      next_due_at: null,
    };
    return { ...v, lists: Object.fromEntries(perList.rows.map((r) => [r.id, r.open])) };
  }

  async series(userId: string, before: string, limit: number): Promise<{ series: SeriesTask[]; total: number }> {
    // next_occurrence is the first occurrence not spawned yet (null once the series ended): a series
    // whose next one is at or after `before` has nothing in the window, and costs no expansion.
    const rows = await this.db.query<TaskRow & { total: string | number; open_occurrence: boolean }>(
      `SELECT ${taskColumnsOf('tasks')}, count(*) OVER () AS total,
          EXISTS (SELECT 1 FROM tasks o WHERE o.series_id = tasks.id AND o.deleted_at IS NULL AND NOT o.completed)
            AS open_occurrence
        FROM ${visibleTasks('$1', 'tasks')}
      WHERE is_recurring AND deleted_at IS NULL AND next_occurrence IS NOT NULL AND next_occurrence < $2
      ORDER BY next_occurrence, tasks.id LIMIT $3`,
      [userId, before, limit],
    );
    return {
      series: rows.rows.map(({ total: _total, open_occurrence, ...t }) => ({
        ...toTask(t, []),
        open_occurrence: open_occurrence === true,
      })),
      total: Number(rows.rows[0]?.total ?? 0),
    };
  }

  /** The user's stream after `after` (events and deliveries, host/stream-reads.ts). */
  async eventsAfter(userId: string, after: number, limit: number): Promise<EventEnvelope[]> {
    return eventsAfter(this.db, userId, after, limit);
  }

  async lastSeq(userId: string): Promise<number> {
    const rows = await this.db.query<{ last_seq: number }>('SELECT last_seq FROM users WHERE id = $1', [userId]);
    return rows.rows[0]?.last_seq ?? 0;
  }

  /** The admin audit, with each event's actor and recipients (host/stream-reads.ts). */
  async adminEvents(f: AdminFilter): Promise<AuditedEvent[]> {
    return adminEvents(this.db, f);
  }

  /** ReadsPort.unacknowledgedReminders: one index scan (reminders_unacknowledged, migration 009). */
  async unacknowledgedReminders(
    userId: string,
    page: { limit: number; after?: { remind_at: string; id: string } },
  ): Promise<WaitingReminder[]> {
    const params: unknown[] = [userId, page.limit];
    const after = page.after ? 'AND (r.remind_at, r.id) < ($3::timestamptz, $4::uuid)' : '';
    if (page.after) params.push(page.after.remind_at, page.after.id);
    const rows = await this.db.query<
      ReminderState & { task_title: string; task_due_date: string | null; task_due_day: string | null }
    >(
      `SELECT ${reminderColumnsOf('r')}, t.title AS task_title, t.due_date AS task_due_date, t.due_day AS task_due_day
         FROM reminders r JOIN tasks t ON t.id = r.task_id
        WHERE r.user_id = $1 AND r.unacknowledged AND NOT r.cancelled AND ${accessibleTo('t', '$1')}
          AND t.deleted_at IS NULL AND NOT t.completed ${after}
        ORDER BY r.remind_at DESC, r.id DESC LIMIT $2`,
      params,
      page.after ? 'tasklane_unacknowledged_reminders_after' : 'tasklane_unacknowledged_reminders',
    );
    return rows.rows.map(({ task_title, task_due_date, task_due_day, ...reminder }) => ({
      reminder,
      task: { id: reminder.task_id, title: task_title, due_date: task_due_date, due_day: task_due_day },
    }));
  }

  /**
   * Committed rows (events and deliveries) not yet published to Kafka whose timestamp is after
   * `sinceIso`, ordered by (user_id, seq), at most 5,000: what realtime/feeds.ts OutboxFeed delivers
   * while Kafka is away (host/stream-reads.ts).
   */
  async unpublishedSince(sinceIso: string): Promise<EventEnvelope[]> {
    return unpublishedSince(this.db, sinceIso);
  }

  /**
   * Published rows committed after `sinceIso` (the newest `limit` events, their delivery rows), by
   * (user_id, seq): what realtime/feeds.ts OutboxFeed re-reads when it takes over from the Kafka consumer.
   */
  async publishedSince(sinceIso: string, limit: number): Promise<EventEnvelope[]> {
    return publishedSince(this.db, sinceIso, limit);
  }

  async outboxBacklog(): Promise<{ count: number; oldest: string | null }> {
    const rows = await this.db.query<{ count: number; oldest: string | null }>(
      `SELECT count(*)::int AS count, min("timestamp") AS oldest FROM (
        SELECT "timestamp" FROM events WHERE published_at IS NULL
        UNION ALL SELECT e."timestamp" FROM event_deliveries d JOIN events e ON e.event_id = d.event_id WHERE d.published_at IS NULL) o`,
    );
    return rows.rows[0] ?? { count: 0, oldest: null };
  }
}
