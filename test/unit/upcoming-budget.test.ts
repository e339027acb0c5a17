// GET /views/upcoming expands all of a user's series within one step budget (api/upcoming.ts): many
// costly series are bounded in steps together, what does not fit is counted as left out, and the event
// loop is yielded between series so other requests run.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { EXPANSION_BUDGET } from '../../actors/recurrence/index.ts';
import type { SeriesTask } from '../../api/ports.ts';
import { MAX_OCCURRENCES_PER_SERIES, UPCOMING_BUDGET, upcomingOccurrences } from '../../api/upcoming.ts';

const NOW = new Date('2027-01-04T12:00:00Z');
const END = new Date('2027-02-04T12:00:00Z');
const series = (rule: string, dtstart: string, title = rule): SeriesTask =>
  // The fields the expansion reads; the rest of a TaskState plays no part here.
  ({
    id: randomUUID(),
    title,
    recurrence_rule: rule,
    dtstart_local: dtstart,
    due_date: '2027-01-01T00:00:00Z',
    timezone: 'UTC',
    last_spawned_at: null,
    // Nothing spawned yet: what is not spawned starts at or before now.
    next_occurrence: '2027-01-01T00:00:00Z',
  }) as unknown as SeriesTask;

// Counted from a start in year 1000: ~12,000 months and ~4,000 instances before 2027 for each.
const costly = () => series('FREQ=MONTHLY;COUNT=10000;BYDAY=5SU', '1000-01-01T02:30');

test('many costly series together stay within one budget; the ones that do not fit are counted, the rest shown', async (t) => {
  const cheap = series('FREQ=DAILY', '2027-01-01T09:00', 'daily');
  const all = [cheap, ...Array.from({ length: 60 }, costly)];
  const result = await upcomingOccurrences(all, { now: NOW, end: END, zone: 'UTC' });
  t.true(result.steps <= UPCOMING_BUDGET, `${result.steps} steps`);
  t.is(UPCOMING_BUDGET, EXPANSION_BUDGET);
  t.true(result.seriesLeftOut > 0 && result.seriesLeftOut < 60, `${result.seriesLeftOut} left out`);
  const shown = new Set(result.occurrences.map((o) => o.series_id));
  t.true(shown.has(cheap.id), 'the series read first is shown');
  t.is(
    result.occurrences.filter((o) => o.series_id === cheap.id).length,
    31,
    'every day from the 5th of January to the 4th of February',
  );
  // Each costly series that fit is shown whole: its 5th Sunday in the window (31 January 2027).
  const fitted = all.length - 1 - result.seriesLeftOut;
  t.is(result.occurrences.filter((o) => o.series_id !== cheap.id).length, fitted);
  t.true(result.occurrences.filter((o) => o.series_id !== cheap.id).every((o) => o.at === '2027-01-31T02:30:00.000Z'));
});

test('the event loop runs between series: a timer set before the expansion fires before it ends', async (t) => {
  let fired = false;
  setTimeout(() => {
    fired = true;
  }, 0);
  const result = await upcomingOccurrences(Array.from({ length: 5 }, costly), { now: NOW, end: END, zone: 'UTC' });
  t.is(result.seriesLeftOut, 0);
  t.true(fired, 'the timer ran while the series were expanded');
});

test('nothing is dropped silently: unread series, per-series and budget caps are all counted', async (t) => {
  const hourly = series(
    'FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23',
    '2027-01-01T00:00',
    'hourly',
  );
  const result = await upcomingOccurrences([hourly], { now: NOW, end: END, zone: 'UTC', unread: 7 });
  t.is(result.occurrences.length, MAX_OCCURRENCES_PER_SERIES, 'capped per series');
  t.is(result.seriesLeftOut, 1 + 7, 'the capped series and the unread ones');

  const tiny = await upcomingOccurrences([costly(), series('FREQ=DAILY', '2027-01-01T09:00')], {
    now: NOW,
    end: END,
    zone: 'UTC',
    budget: 1000,
  });
  t.is(tiny.seriesLeftOut, 2, 'the series over the budget and the one after it');
  t.deepEqual(tiny.occurrences, []);
  t.true(tiny.steps <= 1000);
});
