// The chaos scenario: a steady workload with connected clients while each part of the system is
// killed with SIGKILL and restarted in turn; then an audit of what users would notice. Writes are sent
// as the dashboard sends them: each with its own Idempotency-Key, and one whose outcome is unknown (no
// answer, 502/503/504) is sent again with the same key — the audit counts any write applied twice.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';
// The package's main module is what gives the client its Node WebSocket (ws).
import Nes from '@hapi/nes';
import { chaosEnv, type ChaosEnv } from './env.ts';
import { wsUrl } from '../helpers/socket.ts';
import { eventually } from '../helpers/eventually.ts';
import { auditGaps, auditMembership, type OutsideRow } from '../helpers/membership-audit.ts';
import type { Queryable } from '../../host/db/types.ts';
import { outsideMembership, received, type Received } from './shared.ts';

/** Writes acknowledged before the first fault: the workload is flowing. */
const WARM_ACKS = 20;

export type Fault = 'kafka' | 'daprd' | 'app' | 'postgres' | 'redis';
export const FAULTS: Fault[] = ['kafka', 'daprd', 'app', 'postgres', 'redis'];

export interface FaultRow {
  fault: Fault;
  acked: number;
  failed: number;
  recovery_ms: number;
  /** Why attempts failed (a write retried after an unknown outcome counts each try). */
  reasons: Record<string, number>;
  /** Attempts sent again with the same Idempotency-Key after an unknown outcome. */
  retried: number;
}
export interface ChaosReport {
  rows: FaultRow[];
  acked: number;
  lost_writes: number;
  missing_on_kafka: number;
  kafka_copies: number;
  client_gaps: number;
  clients: number;
  reminders_due: number;
  reminders_missed: number;
  reminders_doubled: number;
  spawns: number;
  spawns_doubled: number;
  spawns_missed: number;
  /** Answers 5xx other than 503 (a fault must never show as a server error). */
  server_errors: number;
  /** Writes retried with their Idempotency-Key after an unknown outcome, in all. */
  retried: number;
  /** Creates whose key made more than one task (each extra task counts): retries must replay, not apply again. */
  applied_twice: number;
  /** Live tasks left in a deleted list (a list's delete reaches each of its tasks, even across a crash). */
  stranded_in_deleted_lists: number;
  /** Writes to the shared list's tasks, by its members (acknowledged). */
  shared_writes: number;
  /** Membership rounds on the shared list completed: a member removed, invited again and accepted. */
  membership_rounds: number;
  /** Stream rows about the shared list the SQL audit checked, and those outside their user's membership (must be 0). */
  shared_checked: number;
  shared_outside_membership: number;
  /** The first of those rows, to start from when it is not 0. */
  shared_outside_rows: OutsideRow[];
  /** Users whose stream in the database (events ∪ deliveries) is not exactly 1..last_seq (must be 0). */
  stream_gaps: number;
  /** Socket messages about the shared list that reached a member while removed (must be 0). */
  removed_member_messages: number;
  /** Socket messages whose user_id was not the socket's user (must be 0). */
  misrouted_messages: number;
  /** Client seq gaps of the shared list's members (owner included) after recovery (must be 0). */
  shared_member_gaps: number;
  /** Members' copies (event_deliveries rows), and those not on Kafka keyed by their recipient (must be 0). */
  deliveries: number;
  deliveries_missing_on_kafka: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client as the dashboard's: reconnects with jittered backoff, backfills after its last seq, keeps every seq it saw. */
class Client {
  seen = new Set<number>();
  last = 0;
  /** Every event received (socket or backfill), by seq, and the seqs that came over a socket. */
  stream = new Map<number, Received>();
  viaSocket = new Set<number>();
  private nes: Nes.Client | undefined;
  private stopped = false;

  constructor(
    private readonly env: ChaosEnv,
    readonly user: string,
  ) {}

  async run(): Promise<void> {
    let delay = 250;
    while (!this.stopped) {
      try {
        const client = new Nes.Client(wsUrl(this.env.url));
        this.nes = client;
        const closed = new Promise<void>((resolve) => {
          client.onDisconnect = () => resolve();
        });
        await client.connect({
          auth: { headers: { authorization: `Bearer ${this.env.token(this.user)}` } },
          reconnect: false,
          timeout: 3000,
        });
        await client.subscribe('/events', (m: unknown) => {
          const e = received(m as Parameters<typeof received>[0]);
          this.viaSocket.add(e.seq);
          this.take(e);
        });
        await this.backfill();
        delay = 250;
        await closed;
      } catch {
        // down: try again
      }
      await sleep(delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 2, 2000);
    }
  }

  /** Socket messages whose user_id was not this client's user (nes filters by user; counted, not kept). */
  misrouted = 0;

  private take(e: Received): void {
    if (e.user_id !== this.user) {
      this.misrouted++;
      return;
    }
    this.seen.add(e.seq);
    this.stream.set(e.seq, e);
    this.last = Math.max(this.last, e.seq);
  }

  async backfill(): Promise<void> {
    let after = this.contiguous();
    for (let more = true; more; ) {
      const res = await fetch(`${this.env.url}/events?after=${after}&limit=1000`, {
        headers: { authorization: `Bearer ${this.env.token(this.user)}` },
      });
      if (!res.ok) throw new Error(`backfill ${res.status}`);
      const page = (await res.json()) as {
        events: Parameters<typeof received>[0][];
        next_after: number;
        has_more: boolean;
      };
      for (const e of page.events) this.take(received(e));
      after = page.next_after;
      more = page.has_more;
    }
  }

  /** The highest seq up to which nothing is missing. */
  contiguous(): number {
    let n = 0;
    while (this.seen.has(n + 1)) n++;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.nes?.disconnect().catch(() => undefined);
  }
}

interface Ack {
  user: string;
  taskId: string;
  version: number;
}

/** The share of writes that go to the shared list's tasks, from a random member. */
const SHARED_WRITES = 0.1;

export async function runChaos(
  options: {
    faults?: Fault[];
    downMs?: number;
    settleMs?: number;
    users?: number;
    /** How often the shared list's owner removes a member, invites them again and they accept (ms, default `downMs`). */
    churnMs?: number;
    log?: (msg: string) => void;
  } = {},
): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const faults = options.faults ?? FAULTS;
  const downMs = options.downMs ?? 3000;
  const churnMs = options.churnMs ?? downMs;
  log('starting a private PostgreSQL, Redis, Kafka, daprd and the app');
  const env = await chaosEnv();
  // What keeps the worker alive until stopped (socket clients reconnecting, the write and churn loops, the
  // audit's connection): stopped however the run ends, so a run that fails midway fails, and does not hang.
  const stops: (() => unknown)[] = [];
  try {
    const users = Array.from({ length: options.users ?? 6 }, (_, i) => `chaos-${i}-${randomUUID().slice(0, 8)}`);
    const clients = users.map((u) => new Client(env, u));
    stops.push(() => Promise.all(clients.map((c) => c.stop())));
    const running = clients.map((c) => c.run());
    const acks: Ack[] = [];
    const owned = new Map<string, string[]>(users.map((u) => [u, []]));
    const ownedLists = new Map<string, string[]>(users.map((u) => [u, []]));
    let window = { acked: 0, failed: 0, retried: 0, reasons: {} as Record<string, number> };
    const note = (why: string) => {
      window.reasons[why] = (window.reasons[why] ?? 0) + 1;
    };
    const refuse = (why: string) => {
      window.failed++;
      note(why);
    };
    /** Sends one write with its key; an unknown outcome is sent again with the same key, with backoff, for up to ~15 s. */
    const send = async (
      user: string,
      req: { method: string; path: string; body?: unknown },
      key: string,
    ): Promise<Response> => {
      for (let attempt = 0; ; attempt++) {
        const last = attempt >= 6;
        try {
          const res = await fetch(`${env.url}${req.path}`, {
            method: req.method,
            signal: AbortSignal.timeout(10_000),
            body: JSON.stringify(req.body),
            headers: {
              authorization: `Bearer ${env.token(user)}`,
              'content-type': 'application/json',
              'idempotency-key': key,
            },
          });
          if (last || ![502, 503, 504].includes(res.status)) return res;
          note(`${res.status} ${(await res.text()).slice(0, 80)}`);
        } catch (error) {
          if (last) throw error;
          note(String((error as { cause?: { code?: string } }).cause?.code ?? error).slice(0, 60));
        }
        window.retried++;
        await sleep(Math.min(250 * 2 ** attempt, 4000) * (0.5 + Math.random() / 2));
      }
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
    /** Sends a write that must answer one of `statuses` (after its retries); throws otherwise. */
    const expect = async (
      user: string,
      req: { method: string; path: string; body?: unknown },
      statuses: number[],
    ): Promise<Response> => {
      const res = await send(user, req, randomUUID());
      if (!statuses.includes(res.status))
        throw new Error(`${req.method} ${req.path}: ${res.status} ${(await res.text()).slice(0, 80)}`);
      return res;
    };

    // The shared list (issue 17): the first user owns "chaos shared", the next three are invited and accept.
    // A share of the writes goes to its tasks from a random member, and every ~churnMs the owner removes a
    // member, invites them again and they accept (`churn` below).
    const owner = users[0] as string;
    const members = users.slice(1, 4);
    const shared = (
      (await (
        await expect(owner, { method: 'POST', path: '/lists', body: { name: 'chaos shared' } }, [201])
      ).json()) as {
        id: string;
      }
    ).id;
    for (const m of members) {
      await expect(owner, { method: 'POST', path: `/lists/${shared}/members`, body: { user_id: m } }, [201]);
      await expect(m, { method: 'POST', path: `/invitations/${shared}/accept`, body: {} }, [200]);
    }
    /** Who may write to the shared list now: the owner and the members not being removed or invited again. */
    const active = new Set([owner, ...members]);
    /** How often each member has been removed: a write they sent before a removal may be refused as a stranger's. */
    const removals = new Map<string, number>();
    /** The tasks made in the shared list: any member edits any of them. */
    const sharedTasks: string[] = [];
    let sharedWrites = 0;
    let rounds = 0;
    const sharedWrite = async (): Promise<void> => {
      const user = pick([...active]);
      const key = randomUUID();
      const req =
        sharedTasks.length === 0 || Math.random() < 0.4
          ? {
              method: 'POST',
              path: '/tasks',
              body: {
                title: `chaos ${key}`,
                list_id: shared,
                due_date: new Date(Date.now() + 3_600_000).toISOString(),
                reminders: [{ at: new Date(Date.now() + 1000 + Math.random() * 4000).toISOString() }],
              },
            }
          : {
              method: 'PATCH',
              path: `/tasks/${pick(sharedTasks)}`,
              body: { title: `chaos ${Math.random().toFixed(6)}` },
            };
      const removed = removals.get(user) ?? 0;
      try {
        const res = await send(user, req, key);
        if (res.status >= 300) {
          const why = `${res.status} ${(await res.text()).slice(0, 80)}`;
          // A member removed while their write was on its way is refused as a stranger (404; a create names
          // the list it may no longer use, 400 list_id): part of the workload.
          const gone = (removals.get(user) ?? 0) !== removed || !active.has(user);
          if (gone && (res.status === 404 || (res.status === 400 && /list_id/.test(why)))) return;
          refuse(why);
          return;
        }
        const task = (await res.json()) as { id: string; version: number };
        if (req.method === 'POST') sharedTasks.push(task.id);
        acks.push({ user, taskId: task.id, version: task.version });
        window.acked++;
        sharedWrites++;
      } catch (error) {
        refuse(String((error as { cause?: { code?: string } }).cause?.code ?? error).slice(0, 60));
      }
    };
    let writing = true;
    stops.push(() => {
      writing = false;
    });
    const write = async (): Promise<void> => {
      if (Math.random() < SHARED_WRITES) return sharedWrite();
      const user = users[Math.floor(Math.random() * users.length)] as string;
      const mine = owned.get(user) ?? [];
      const lists = ownedLists.get(user) ?? [];
      const roll = Math.random();
      let req: { method: string; path: string; body?: unknown };
      // A create's title carries its key, so the audit can count the tasks each key made.
      const key = randomUUID();
      if (mine.length === 0 || roll < 0.3)
        req = {
          method: 'POST',
          path: '/tasks',
          body: {
            title: `chaos ${key}`,
            due_date: new Date(Date.now() + 3_600_000).toISOString(),
            reminders: [{ at: new Date(Date.now() + 1000 + Math.random() * 4000).toISOString() }],
          },
        };
      else if (roll < 0.37)
        req = {
          method: 'POST',
          path: '/tasks',
          body: {
            title: `chaos series ${key}`,
            due_date: new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000).toISOString(),
            recurrence_rule: 'FREQ=DAILY',
          },
        };
      // Lists (issue 15): created (the name carries the key), tasks moved into them, and now and then one deleted (its tasks go to the Inbox).
      else if (roll < 0.41) req = { method: 'POST', path: '/lists', body: { name: `chaos list ${key}` } };
      else if (roll < 0.49 && lists.length > 0)
        req = {
          method: 'PATCH',
          path: `/tasks/${mine[Math.floor(Math.random() * mine.length)] as string}`,
          body: { list_id: lists[Math.floor(Math.random() * lists.length)] },
        };
      else if (roll < 0.51 && lists.length > 0)
        req = {
          method: 'DELETE',
          path: `/lists/${lists.splice(Math.floor(Math.random() * lists.length), 1)[0] as string}`,
        };
      else
        req = {
          method: 'PATCH',
          path: `/tasks/${mine[Math.floor(Math.random() * mine.length)] as string}`,
          body: { title: `chaos ${Math.random().toFixed(6)}` },
        };
      try {
        const res = await send(user, req, key);
        // A move into a list deleted meanwhile is refused (400 naming list_id): part of the workload.
        if (res.status === 400 && req.method === 'PATCH' && /list_id/.test(await res.clone().text())) return;
        if (res.status >= 300) {
          refuse(`${res.status} ${(await res.text()).slice(0, 80)}`);
          return;
        }
        if (res.status === 204) {
          window.acked++;
          return;
        }
        const task = (await res.json()) as { id: string; version: number };
        if (req.path === '/lists') {
          lists.push(task.id);
          acks.push({ user, taskId: task.id, version: task.version });
          window.acked++;
          return;
        }
        if (req.method === 'POST') mine.push(task.id);
        acks.push({ user, taskId: task.id, version: task.version });
        window.acked++;
      } catch (error) {
        refuse(String((error as { cause?: { code?: string } }).cause?.code ?? error).slice(0, 60));
      }
    };
    const writer = (async () => {
      while (writing) {
        await Promise.all([write(), write(), write()]);
        await sleep(50);
      }
    })();
    // Membership churn: a random member removed, invited again, accepting. A round a fault broke off (an
    // outcome unknown after the retries) is finished by the next one from the member's state as the owner
    // reads it, so no member stays out.
    const memberState = async (m: string): Promise<string | undefined> => {
      const res = await fetch(`${env.url}/lists/${shared}/members`, {
        signal: AbortSignal.timeout(10_000),
        headers: { authorization: `Bearer ${env.token(owner)}` },
      });
      if (!res.ok) throw new Error(`GET members: ${res.status}`);
      const view = (await res.json()) as { members: { user_id: string; state: string }[] };
      return view.members.find((x) => x.user_id === m)?.state;
    };
    const churn = (async () => {
      let unfinished: string | undefined;
      while (writing) {
        // Waits in steps, so the run does not wait out a whole pause after the workload stopped.
        for (const until = Date.now() + churnMs * (0.75 + Math.random() / 2); writing && Date.now() < until; )
          await sleep(100);
        if (!writing || members.length === 0) break;
        const m = unfinished ?? pick(members);
        try {
          let state: string | undefined;
          if (unfinished === undefined) {
            active.delete(m);
            removals.set(m, (removals.get(m) ?? 0) + 1);
            unfinished = m;
            await expect(owner, { method: 'DELETE', path: `/lists/${shared}/members/${m}` }, [204]);
          } else state = await memberState(m);
          if (state === undefined)
            await expect(owner, { method: 'POST', path: `/lists/${shared}/members`, body: { user_id: m } }, [201]);
          if (state !== 'active') {
            await expect(m, { method: 'POST', path: `/invitations/${shared}/accept`, body: {} }, [200]);
            rounds++;
          }
          active.add(m);
          unfinished = undefined;
        } catch (error) {
          log(`membership round for ${m}: ${String(error)}`);
          refuse(`membership: ${String(error).slice(0, 80)}`);
        }
      }
    })();
    // Faults start once the workload is flowing: the first writes acknowledged, not a fixed time.
    await eventually(() => acks.length >= WARM_ACKS, {
      what: `the workload warmed up (${WARM_ACKS} writes acknowledged before the first fault)`,
    });
    const rows: FaultRow[] = [];
    for (const fault of faults) {
      window = { acked: 0, failed: 0, retried: 0, reasons: {} };
      log(`fault: SIGKILL ${fault}`);
      const proc = env.procs[fault];
      await proc.kill();
      await sleep(downMs);
      const restarted = Date.now();
      await proc.start();
      // Recovered when a write goes through again.
      for (;;) {
        const before = window.acked;
        await sleep(100);
        if (window.acked > before) break;
        if (Date.now() - restarted > 90_000) break;
      }
      rows.push({ fault, ...window, recovery_ms: Date.now() - restarted });
      log(`${fault}: ${JSON.stringify(window.reasons)}`);
      await sleep(options.settleMs ?? 2000);
    }
    writing = false;
    await writer;
    await churn;
    log('workload stopped; waiting until everything due by now has fired and the outbox has drained');
    const db = new pg.Client({ connectionString: env.databaseUrl });
    stops.push(() => db.end());
    await db.connect();
    // The audit's cutoff: what was due by the moment the workload stopped must have fired. No margin on the
    // wall clock: we wait (with a deadline long enough for a loaded machine) until nothing due is left, and
    // only what is still unfired at that deadline counts as missed.
    const cutoff = (await db.query<{ t: Date }>('SELECT now() AS t')).rows[0]?.t ?? new Date();
    const OUTSTANDING = `SELECT
        ((SELECT count(*) FROM events WHERE published_at IS NULL)
          + (SELECT count(*) FROM event_deliveries WHERE published_at IS NULL))::int AS outbox,
        (SELECT count(*) FROM reminders r JOIN tasks t ON t.id = r.task_id WHERE r.user_id = ANY($1) AND NOT r.cancelled AND NOT r.notified
           AND r.remind_at < $2 AND NOT t.completed AND t.deleted_at IS NULL AND NOT t.is_recurring)::int AS reminders,
        (SELECT count(*) FROM tasks WHERE user_id = ANY($1) AND is_recurring AND deleted_at IS NULL AND next_occurrence < $2)::int AS spawns`;
    const settled = Date.now() + 120_000;
    for (;;) {
      const left = (await db.query<{ outbox: number; reminders: number; spawns: number }>(OUTSTANDING, [users, cutoff]))
        .rows[0];
      if (!left || left.outbox + left.reminders + left.spawns === 0) break;
      if (Date.now() > settled) {
        log(`still outstanding at the deadline: ${JSON.stringify(left)}`);
        break;
      }
      await sleep(500);
    }
    // Every client must hold every event up to the user's seq as it is now (timers due later may still add
    // events; those are not the clients' to have yet): one last backfill, as a dashboard does on reconnect.
    const lastSeq = new Map(
      (
        await db.query<{ id: string; last_seq: string }>('SELECT id, last_seq FROM users WHERE id = ANY($1)', [users])
      ).rows.map((r) => [r.id, Number(r.last_seq)]),
    );
    await Promise.all(
      clients.map((c) =>
        c.backfill().catch((error: unknown) => log(`backfill for ${c.user} failed: ${String(error)}`)),
      ),
    );
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.allSettled(running);

    // ---- audit
    const stored = await db.query<{ aggregate_id: string; version: number }>(
      'SELECT aggregate_id, version FROM events WHERE user_id = ANY($1)',
      [users],
    );
    const have = new Set(stored.rows.map((r) => `${r.aggregate_id}/${r.version}`));
    const lost = acks.filter(
      (a) => ![...Array(a.version).keys()].every((k) => have.has(`${a.taskId}/${k + 1}`)),
    ).length;
    const events = await db.query<{ event_id: string }>(
      'SELECT event_id::text AS event_id FROM events WHERE user_id = ANY($1)',
      [users],
    );
    const onKafka = await readTopic(env);
    const missingOnKafka = events.rows.filter((e) => !onKafka.ids.has(e.event_id)).length;
    const gapsOf = (cs: readonly Client[]) =>
      cs.reduce((n, c) => n + Math.max(0, (lastSeq.get(c.user) ?? 0) - c.contiguous()), 0);
    const gaps = gapsOf(clients);
    const reminders = await db.query<{ due: string; missed: string }>(
      `SELECT count(*) FILTER (WHERE TRUE) AS due,
        count(*) FILTER (WHERE NOT r.notified) AS missed
      FROM reminders r JOIN tasks t ON t.id = r.task_id WHERE r.user_id = ANY($1) AND NOT r.cancelled AND r.remind_at < $2 AND NOT t.completed AND t.deleted_at IS NULL AND NOT t.is_recurring`,
      [users, cutoff],
    );
    const doubled = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT data->>'reminder_id' FROM events WHERE user_id = ANY($1) AND event_type = 'reminder.triggered' GROUP BY 1 HAVING count(*) > 1) d`,
      [users],
    );
    const spawns = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM events WHERE user_id = ANY($1) AND event_type = 'recurring.spawned'`,
      [users],
    );
    const spawnDup = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT aggregate_id, data->>'occurrence_at' FROM events WHERE user_id = ANY($1) AND event_type = 'recurring.spawned' GROUP BY 1, 2 HAVING count(*) > 1) d`,
      [users],
    );
    // Tasks made by a request (not spawned occurrences), grouped by the key in their title.
    const twice = await db.query<{ n: string }>(
      `SELECT COALESCE(sum(n - 1), 0) AS n FROM (SELECT count(*) AS n FROM tasks
      WHERE user_id = ANY($1) AND series_id IS NULL AND title ~ '^chaos (series )?[0-9a-f-]{36}$' GROUP BY title) k`,
      [users],
    );
    const listsTwice = await db.query<{ n: string }>(
      `SELECT COALESCE(sum(n - 1), 0) AS n FROM (SELECT count(*) AS n FROM lists
      WHERE user_id = ANY($1) AND name ~ '^chaos list [0-9a-f-]{36}$' GROUP BY name) k`,
      [users],
    );
    const stranded = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM tasks t JOIN lists l ON l.id = t.list_id
      WHERE t.user_id = ANY($1) AND t.deleted_at IS NULL AND l.deleted_at IS NOT NULL`,
      [users],
    );
    const spawnMissed = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM tasks WHERE user_id = ANY($1) AND is_recurring AND deleted_at IS NULL AND next_occurrence < $2`,
      [users, cutoff],
    );
    // The shared list: no stream row about it outside its user's membership (the SQL audit), every stream
    // 1..last_seq in the database, no socket message about it to a member while removed, and each
    // member's copy on Kafka keyed by the member.
    const q: Queryable = {
      query: async <R>(sql: string, params?: readonly unknown[]) => {
        const r = await db.query(sql, params as unknown[]);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      },
      exec: async (sql: string) => {
        await db.query(sql);
      },
    };
    const membership = await auditMembership(q, { users, limit: 5 });
    const streamGaps = await auditGaps(q, { users });
    const sharedTaskIds = new Set(
      (
        await db.query<{ id: string }>(
          'SELECT DISTINCT aggregate_id AS id FROM events WHERE scope @> ARRAY[$1::uuid]',
          [shared],
        )
      ).rows.map((r) => r.id),
    );
    const removedMessages = clients
      .filter((c) => members.includes(c.user))
      .flatMap((c) => outsideMembership(c.user, shared, sharedTaskIds, c.stream, c.viaSocket));
    if (removedMessages.length > 0)
      log(`socket messages to removed members: ${JSON.stringify(removedMessages.slice(0, 5))}`);
    if (membership.outside > 0) log(`stream rows outside membership: ${JSON.stringify(membership.rows)}`);
    const deliveries = await db.query<{ user_id: string; event_id: string }>(
      'SELECT user_id, event_id::text AS event_id FROM event_deliveries WHERE user_id = ANY($1)',
      [users],
    );
    await db.end();
    return {
      rows,
      acked: acks.length,
      lost_writes: lost,
      missing_on_kafka: missingOnKafka,
      kafka_copies: onKafka.copies,
      client_gaps: gaps,
      clients: clients.length,
      reminders_due: Number(reminders.rows[0]?.due),
      reminders_missed: Number(reminders.rows[0]?.missed),
      reminders_doubled: Number(doubled.rows[0]?.n),
      spawns: Number(spawns.rows[0]?.n),
      spawns_doubled: Number(spawnDup.rows[0]?.n),
      spawns_missed: Number(spawnMissed.rows[0]?.n),
      retried: rows.reduce((n, r) => n + r.retried, 0),
      applied_twice: Number(twice.rows[0]?.n) + Number(listsTwice.rows[0]?.n),
      stranded_in_deleted_lists: Number(stranded.rows[0]?.n),
      shared_writes: sharedWrites,
      membership_rounds: rounds,
      shared_checked: membership.checked,
      shared_outside_membership: membership.outside,
      shared_outside_rows: membership.rows,
      stream_gaps: streamGaps.gapped,
      removed_member_messages: removedMessages.length,
      misrouted_messages: clients.reduce((n, c) => n + c.misrouted, 0),
      shared_member_gaps: gapsOf(clients.filter((c) => c.user === owner || members.includes(c.user))),
      deliveries: deliveries.rows.length,
      deliveries_missing_on_kafka: deliveries.rows.filter((d) => !onKafka.keyed.has(`${d.user_id}\0${d.event_id}`))
        .length,
      server_errors: rows.reduce(
        (n, r) =>
          n +
          Object.entries(r.reasons)
            .filter(([why]) => /^5\d\d /.test(why) && !why.startsWith('503 '))
            .reduce((m, [, k]) => m + k, 0),
        0,
      ),
    };
  } finally {
    await Promise.allSettled(stops.map(async (stop) => stop()));
    await env.destroy();
  }
}

/** The topic read whole: the event ids on it, each (message key, event id) pair, and how many messages. */
async function readTopic(env: ChaosEnv): Promise<{ ids: Set<string>; keyed: Set<string>; copies: number }> {
  const kafka = new Kafka({ clientId: 'chaos-audit', brokers: [env.broker.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(env.broker.topic);
  await admin.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const ids = new Set<string>();
  const keyed = new Set<string>();
  let copies = 0;
  const consumer = kafka.consumer({ groupId: `audit-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: env.broker.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      copies++;
      const id = (JSON.parse(message.value?.toString() ?? '{}') as { event_id: string }).event_id;
      ids.add(id);
      keyed.add(`${message.key?.toString() ?? ''}\0${id}`);
    },
  });
  const deadline = Date.now() + 60_000;
  while (copies < total && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  return { ids, keyed, copies };
}

export function table(report: ChaosReport): string {
  const lines = ['fault (SIGKILL + restart)  writes acked during  refused during  recovered after'];
  for (const r of report.rows)
    lines.push(
      `${r.fault.padEnd(26)} ${String(r.acked).padStart(19)} ${String(r.failed).padStart(15)} ${`${(r.recovery_ms / 1000).toFixed(1)} s`.padStart(16)}`,
    );
  lines.push('');
  lines.push(`acknowledged writes: ${report.acked}; lost: ${report.lost_writes}`);
  lines.push(
    `events missing on Kafka: ${report.missing_on_kafka} (topic copies ${report.kafka_copies}; at-least-once, de-duplicated by event_id)`,
  );
  lines.push(`client seq gaps after recovery: ${report.client_gaps} across ${report.clients} clients`);
  lines.push(
    `reminders due: ${report.reminders_due}; missed: ${report.reminders_missed}; notified twice: ${report.reminders_doubled}`,
  );
  lines.push(`spawns: ${report.spawns}; doubled: ${report.spawns_doubled}; missed: ${report.spawns_missed}`);
  lines.push(`server errors (5xx other than 503): ${report.server_errors}`);
  // What each such answer said, per fault: a failure here names its cause without a rerun.
  for (const r of report.rows)
    for (const [why, n] of Object.entries(r.reasons))
      if (/^5\d\d /.test(why) && !why.startsWith('503 ')) lines.push(`  during ${r.fault}: ${n} × ${why}`);
  lines.push(`writes retried with their Idempotency-Key: ${report.retried}; applied twice: ${report.applied_twice}`);
  lines.push(`tasks left in a deleted list: ${report.stranded_in_deleted_lists}`);
  lines.push(
    `shared list: ${report.shared_writes} writes by its members, ${report.membership_rounds} members removed, invited again and accepted`,
  );
  lines.push(
    `shared events outside membership: ${report.shared_outside_membership} of ${report.shared_checked} stream rows about the list; streams not 1..last_seq: ${report.stream_gaps}`,
  );
  lines.push(
    `socket messages to removed members about the list: ${report.removed_member_messages}; misrouted: ${report.misrouted_messages}`,
  );
  lines.push(`client seq gaps of shared members: ${report.shared_member_gaps}`);
  lines.push(
    `members' copies missing on Kafka (keyed by recipient): ${report.deliveries_missing_on_kafka} of ${report.deliveries}`,
  );
  return lines.join('\n');
}
