// A fan-out over many tasks (a deleted label leaving every task that carried it) lets the event loop serve
// other work between its task turns: on the embedded database every statement runs on the app's thread,
// so without that the whole fan-out would hold the loop and /health would wait for it.
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';
import { FAN_OUT } from '../../host/fan-outs.ts';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await app?.stop();
});

test('deleting a label carried by 120 tasks leaves the loop free between rounds of task turns', async (t) => {
  const call = injector(app.app.server);
  const token = app.token('fan-out-user');
  const label = await call('POST', '/labels', { token, body: { name: 'bulk' } });
  t.is(label.status, 201);
  const labelId = String(label.body.id);
  for (let i = 0; i < 120; i++) {
    const created = await call('POST', '/tasks', { token, body: { title: `t${i}`, labels: [labelId] } });
    t.is(created.status, 201);
  }
  // A probe in this event loop counts its own turns while the fan-out runs (the app runs in this process).
  let turns = 0;
  let probing = true;
  const probe = (): void => {
    turns++;
    if (probing) setImmediate(probe);
  };
  setImmediate(probe);
  const deleted = await call('DELETE', `/labels/${labelId}`, { token });
  probing = false;
  t.is(deleted.status, 204);
  // FAN_OUT turns run at once; between each round the loop turns (without the yield it turned once in all).
  t.true(turns >= 120 / FAN_OUT, `the loop turned ${turns} times during 120 task turns, ${FAN_OUT} at a time`);
  const left = await call('GET', `/tasks?label=${labelId}`, { token });
  t.deepEqual(left.body.tasks, []);
});
