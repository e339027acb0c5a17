// Each event reaches the hub once in the embedded shape (PGlite, no Kafka): the relay hands the committed
// outbox rows to the hub and nothing else feeds it (the commit hook only nudges the relay), so every event
// reaches each of its user's sockets exactly once, in seq order, and the hub drops no duplicate.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectSocket } from '../helpers/socket.ts';
import { api } from '../helpers/timer-scenarios.ts';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await app?.stop();
});

async function metric(name: string, source: string): Promise<number> {
  const text = await fetch(`${app.url}/metrics`).then((r) => r.text());
  return Number(new RegExp(`^${name}\\{source="${source}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

test('every event reaches each socket of its user once, in seq order, through the relay alone; no duplicate reaches the hub', async (t) => {
  t.timeout(120_000);
  const target = { url: app.url, token: app.token, label: 'embedded' };
  const users = await Promise.all(
    Array.from({ length: 4 }, async (_, i) => {
      const id = `embedded-${i}-${randomUUID()}`;
      return {
        id,
        sockets: await Promise.all([connectSocket(app.url, app.token(id)), connectSocket(app.url, app.token(id))]),
      };
    }),
  );
  try {
    const rounds = 10;
    // Users write concurrently; one user's writes follow each other (a create with a reminder is two events).
    await Promise.all(
      users.map(async (u) => {
        const due = new Date(Date.now() + 86_400_000).toISOString();
        const task = await api(target, app.token(u.id), 'POST', '/tasks', {
          title: 'first',
          due_date: due,
          reminders: [{ before: 'PT1H' }],
        });
        for (let i = 1; i < rounds; i++)
          await api(target, app.token(u.id), 'PATCH', `/tasks/${task.id as string}`, { title: `edit ${i}` });
      }),
    );
    const perUser = rounds + 1;
    for (const u of users) {
      for (const s of u.sockets) {
        await s.waitFor(perUser, 30_000).catch(() => undefined);
        t.deepEqual(
          s.messages.map((m) => m.seq),
          Array.from({ length: perUser }, (_, j) => j + 1),
          u.id,
        );
      }
    }
    t.is(
      await metric('tasklane_realtime_events_delivered_total', 'relay'),
      users.length * perUser,
      'all through the relay',
    );
    for (const source of ['relay', 'outbox', 'kafka'])
      t.is(await metric('tasklane_realtime_duplicates_dropped_total', source), 0, `no copy from ${source}`);
    t.is(
      (await metric('tasklane_realtime_events_delivered_total', 'outbox')) +
        (await metric('tasklane_realtime_events_delivered_total', 'kafka')),
      0,
      'no other feed',
    );
  } finally {
    await Promise.all(users.flatMap((u) => u.sockets.map((s) => s.close())));
  }
});
