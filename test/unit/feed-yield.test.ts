// The calendar feed gives the event loop back while it works (api/feed/routes.ts writeTasks): a zone's
// first comparison with its VTIMEZONE costs tens of milliseconds, so the writer pauses after each task that
// made one, as it does after every YIELD_EVERY tasks. Its own file: the comparisons are kept per process.
import test from 'ava';
import { FeedWriter, MAX_ZONE_CHECKS } from '../../api/feed/ical.ts';
import { writeTasks } from '../../api/feed/routes.ts';
import type { TaskState } from '../../actors/task/index.ts';
import { feedTask } from '../helpers/feed-task.ts';

const task = (i: number, timezone: string): TaskState =>
  feedTask({
    id: `0b6a0a4e-7d0c-4f47-9a51-3c1f4b7d2e${String(i).padStart(2, '0')}`,
    title: `in ${timezone}`,
    timezone,
    due_date: '2027-06-01T13:00:00.000Z',
  });

test('the writer pauses after each task whose zone it compared first, and not for zones compared before', async (t) => {
  const zones = [
    'America/Halifax',
    'America/Havana',
    'Europe/Lisbon',
    'Australia/Sydney',
    'Asia/Tehran',
    'Pacific/Auckland',
  ];
  const tasks = zones.map((z, i) => task(i, z));
  let pauses = 0;
  const pause = async () => {
    pauses++;
  };
  const first = new FeedWriter({ name: 't', userZone: 'UTC', labelNames: new Map() });
  t.deepEqual(await writeTasks(first, tasks, 'u1', () => t.fail(), pause), { truncated: false, skipped: 0 });
  t.is(MAX_ZONE_CHECKS - first.budget.zoneChecks, zones.length, 'each zone compared once');
  t.is(pauses, zones.length - 1, 'a pause after each task but the last');
  pauses = 0;
  const again = new FeedWriter({ name: 't', userZone: 'UTC', labelNames: new Map() });
  await writeTasks(again, tasks, 'u1', () => t.fail(), pause);
  t.is(again.budget.zoneChecks, MAX_ZONE_CHECKS, 'compared before: kept for the process');
  t.is(pauses, 0);
});
