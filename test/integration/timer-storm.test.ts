// Hundreds of reminders due at one instant, on the embedded shape (PGlite runs on the main thread, where
// turns all at once would hold the event loop) and on PostgreSQL (where turns overlap on the network): they
// fire through the one fire queue, a few turns at a time, so the server keeps answering while they fire
// and each fires exactly once (issue 12, "Bounded work"). The app runs in this process on a manual clock,
// so the storm starts when the test moves the clock, and a probe in this event loop sees what the
// server's loop sees.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../helpers/clock.ts';
import { eventually } from '../helpers/eventually.ts';
import { readMetric } from '../helpers/metrics.ts';
import { api } from '../helpers/timer-scenarios.ts';
import { TIMER_TURNS_IN_FLIGHT } from '../../actors/runtime/fire-queue.ts';
import type { TaskCall, TaskCallAnswer } from '../../actors/ports.ts';

const REMINDERS = 300;
const USERS = 10;

const databases = ['pglite', 'postgres'] as const;
const apps: Partial<Record<(typeof databases)[number], { app: TestApp; clock: ManualClock }>> = {};
test.after.always(async () => {
  await Promise.all(Object.values(apps).map((a) => a.app.stop()));
});

for (const database of databases) {
  test.serial(
    `${database}: ${REMINDERS} reminders due at one instant fire once each, at most ${TIMER_TURNS_IN_FLIGHT} turns at a time, while /health answers`,
    async (t) => {
      const clock = new ManualClock();
      const app = await startTestApp({ database, clock: clock.date });
      apps[database] = { app, clock };
      const runtime = app.app.runtime;
      // Watch the timer turns as the runtime runs them: how many at once, and how many have ended.
      let inFlight = 0;
      let mostInFlight = 0;
      let ended = 0;
      const execute = runtime.executeTask.bind(runtime);
      runtime.executeTask = async (taskId: string, call: TaskCall): Promise<TaskCallAnswer> => {
        const timerTurn = call.command.type === 'fire_reminder' || call.command.type === 'spawn';
        if (!timerTurn) return execute(taskId, call);
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          return await execute(taskId, call);
        } finally {
          inFlight--;
          ended++;
        }
      };

      const remindAt = clock.now() + clock.leadMs;
      const users = Array.from({ length: USERS }, () => `storm-${randomUUID()}`);
      const target = { url: app.url, token: (u: string) => app.token(u), label: `direct/${database} storm` };
      const taskIds: string[] = [];
      for (let i = 0; i < REMINDERS; i += USERS) {
        const created = await Promise.all(
          users.map((u) =>
            api(target, app.token(u), 'POST', '/tasks', {
              title: 's',
              due_date: new Date(remindAt + 60_000).toISOString(),
              reminders: [{ at: new Date(remindAt).toISOString() }],
            }),
          ),
        );
        taskIds.push(...created.map((c) => c.id as string));
      }
      t.is(taskIds.length, REMINDERS);

      // A probe in this event loop: the most timer turns that ended between two of its turns.
      let worstBetweenTurns = 0;
      let probing = true;
      const probe = (before: number) => {
        worstBetweenTurns = Math.max(worstBetweenTurns, ended - before);
        if (probing) setImmediate(probe, ended);
      };
      setImmediate(probe, ended);

      await clock.reach(remindAt + 1000);
      await eventually(() => ended > 0, { what: 'the first reminder fired', intervalMs: 5 });
      // /health, asked again and again while the reminders fire: answered each time before they have all fired.
      const answeredMidStorm: number[] = [];
      while (ended < REMINDERS) {
        const before = ended;
        const res = await fetch(`${app.url}/health`);
        t.is(res.status, 200);
        await res.arrayBuffer();
        if (before < REMINDERS && ended < REMINDERS) answeredMidStorm.push(ended - before);
      }
      probing = false;
      t.log(
        `/health answered ${answeredMidStorm.length} times mid-storm, at most ${Math.max(...answeredMidStorm)} fires per answer; ` +
          `at most ${worstBetweenTurns} fires between two turns of the loop; at most ${mostInFlight} timer turns at once`,
      );
      t.true(answeredMidStorm.length >= 2, '/health answers while the storm goes on');
      t.true(
        worstBetweenTurns <= 2 * TIMER_TURNS_IN_FLIGHT,
        `at most ${2 * TIMER_TURNS_IN_FLIGHT} fires between two turns of the event loop (worst ${worstBetweenTurns})`,
      );
      t.true(mostInFlight <= TIMER_TURNS_IN_FLIGHT, `never more than ${TIMER_TURNS_IN_FLIGHT} timer turns at once`);
      const peak = await readMetric(app.url, 'tasklane_timer_turns_in_flight', { measure: 'peak' });
      t.true(peak >= 1 && peak <= TIMER_TURNS_IN_FLIGHT, `tasklane_timer_turns_in_flight{measure="peak"} is ${peak}`);

      // Exactly once: wait for two more sweeps (any timer still due would be queued again by then), for the
      // queue to be idle, then count what was written.
      const sweeps = await readMetric(app.url, 'tasklane_sweeps_total');
      await eventually(async () => (await readMetric(app.url, 'tasklane_sweeps_total')) >= sweeps + 2, {
        what: 'two more sweeps after the storm',
      });
      await eventually(() => inFlight === 0, { what: 'no timer turn in flight' });
      const fired = await app.app.db.query<{ task: string; n: number }>(
        `SELECT aggregate_id AS task, count(*)::int AS n FROM events
      WHERE event_type = 'reminder.triggered' AND aggregate_id = ANY($1::text[]) GROUP BY aggregate_id`,
        [taskIds],
      );
      t.is(fired.rows.length, REMINDERS, 'every reminder fired');
      t.deepEqual(
        fired.rows.filter((r) => r.n !== 1),
        [],
        'none fired twice',
      );
      t.is(await readMetric(app.url, 'tasklane_timer_turns_in_flight', { measure: 'now' }), 0);
    },
  );
}
