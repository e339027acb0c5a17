// Actor ids cross daprd's URL paths both ways (this process → daprd → the app channel): every id must
// arrive as itself, never read as a dot segment or a path separator, and never be refused by daprd's
// own actor-id rule. Through the REST API for user ids with dots, pipes and @ (the subject rule admits
// them), and straight through the sidecar channel for ids the subject rule refuses (`.`, `..`), so the
// encoding itself is what is checked, with a real daprd.
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import type { DaprRuntime } from '../../actors/runtime/dapr.ts';
import { readMetric } from '../helpers/metrics.ts';
import {
  SidecarChannel,
  actorIdSegment,
  daprActorId,
  idFromActorSegment,
  pathSegment,
} from '../../actors/runtime/dapr-channel.ts';
import { USER_ACTOR } from '../../actors/runtime/dapr.ts';

let a: DaprTestApp;
test.before(async () => {
  a = await startDaprTestApp({ namespace: `ids-${randomBytes(4).toString('hex')}` });
});
test.after.always(async () => {
  await a?.stop();
});

async function zoneOf(user: string): Promise<string | undefined> {
  const rows = await a.app.db.query<{ timezone: string }>('SELECT timezone FROM users WHERE id = $1', [user]);
  return rows.rows[0]?.timezone;
}

test('user ids with dots, pipes and @ round-trip through the UserActor in Dapr mode', async (t) => {
  const tag = randomUUID().slice(0, 8);
  const users = [`a.b-${tag}`, `x..y-${tag}`, `${tag}.`, `..${tag}`, `auth0|${tag}`, `user-${tag}@x.y`];
  for (const user of users) {
    const res = await fetch(`${a.url}/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${a.token(user)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ timezone: 'Asia/Tokyo' }),
    });
    t.is(res.status, 200, `${user}: ${await res.text()}`);
    t.is(await zoneOf(user), 'Asia/Tokyo', `${user} is stored under its own id`);
  }
  t.is(await readMetric(a.url, 'tasklane_actor_turns_total', { via: 'fallback' }), 0, 'every call went through daprd');
});

test('any id, even one daprd refuses as an actor id (dot segments, slashes, ?, #, backslash, %), reaches the actor as itself', async (t) => {
  const channel = new SidecarChannel({ host: '127.0.0.1', port: (a.app.runtime as DaprRuntime).httpPort });
  t.teardown(() => channel.close());
  const tag = randomUUID().slice(0, 8);
  const body = JSON.stringify({ timezone: 'Pacific/Auckland' });
  // The bare dot segments are shared by every run of this file: the zone is checked right after the call.
  for (const id of [
    '.',
    '..',
    `../${tag}`,
    `${tag}/..`,
    `a/b-${tag}`,
    `q?x#y\\z-${tag}`,
    `%2E%2E-${tag}`,
    `50%-${tag}`,
    `(*)!'~-${tag}`,
    `.${tag}.`,
  ]) {
    await channel.invoke(USER_ACTOR, id, 'setTimezone', body);
    t.is(await zoneOf(id), 'Pacific/Auckland', `${JSON.stringify(id)} reached the actor as itself`);
  }
});

test('the Dapr actor id is a plain token daprd accepts; ids of letters, digits, _ and - are their own', (t) => {
  const id = randomUUID();
  t.is(daprActorId(id), id);
  t.is(daprActorId('auth0|123'), 'auth0%7C123');
  for (const raw of ['.', '..', 'a/b', 'q?x#y\\z', 'émile 😀@example.com', '50%', "!'()*~"]) {
    t.regex(daprActorId(raw), /^[A-Za-z0-9_%-]+$/, raw);
    t.regex(actorIdSegment(raw), /^[A-Za-z0-9_%-]+$/, raw);
    t.is(idFromActorSegment(daprActorId(raw)), raw, raw);
  }
  t.is(pathSegment('..'), '%2E%2E');
  t.is(pathSegment("!'()*~"), '%21%27%28%29%2A%7E');
});
