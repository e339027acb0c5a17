// Timers and actors on the Dapr runtime: real daprd sidecars, placement and scheduler from the stack.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startDaprTestApp, type DaprTestApp } from '../helpers/dapr-app.ts';
import * as S from '../helpers/timer-scenarios.ts';

let app: DaprTestApp;
test.before(async () => { app = await startDaprTestApp({ namespace: `timers-${randomBytes(4).toString('hex')}` }); });
test.after.always(async () => { await app?.stop(); });

const target = (): S.Target => ({ url: app.url, token: (u) => app.token(u), label: 'dapr' });

test('dapr: a daily series whose first occurrence is seconds ahead spawns its instance on time, once', (t) => S.seriesSpawnsOnTime(t, target()));
test('dapr: two reminders on one task each fire once', (t) => S.twoRemindersFireOnceEach(t, target()));
test('dapr: a completed task\'s pending reminder never fires', (t) => S.completedTaskNeverFires(t, target()));
test('dapr: a deleted series never spawns', (t) => S.deletedSeriesNeverSpawns(t, target()));
test('dapr: a zone change goes through the UserActor and moves the next occurrence', (t) => S.zoneChangeMovesNextOccurrence(t, target()));
