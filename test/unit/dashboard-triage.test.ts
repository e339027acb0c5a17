// "Move all to tomorrow" (realtime/public/triage-plan.js): one-off tasks all move; of a repeating task's
// missed occurrences only the newest moves, and only when its series brings nothing by the end of tomorrow;
// the rest are skipped, so tomorrow never gets a copy of a daily task per missed day.
import test from 'ava';

interface Task {
  id: string;
  series_id?: string | null;
  occurrence_at?: string | null;
  due_day?: string | null;
  completed?: boolean;
}
interface TriageModule {
  triagePlan(
    overdue: Task[],
    upcoming: Task[],
    tomorrow: string,
    dayOf: (task: Task) => string,
  ): { move: Task[]; skip: Task[] };
}
const modulePath = '../../realtime/public/triage-plan.js';
const { triagePlan } = (await import(modulePath)) as TriageModule;

const TOMORROW = '2026-12-02';
const dayOf = (task: Task) => task.due_day ?? task.occurrence_at?.slice(0, 10) ?? '';
const occurrence = (series: string, day: string): Task => ({
  id: `${series}-${day}`,
  series_id: series,
  occurrence_at: `${day}T07:00:00.000Z`,
});
const ids = (tasks: Task[]) => tasks.map((t) => t.id).sort();

test('one-off tasks all move to tomorrow', (t) => {
  const plan = triagePlan([{ id: 'a' }, { id: 'b', series_id: null }], [], TOMORROW, dayOf);
  t.deepEqual(ids(plan.move), ['a', 'b']);
  t.deepEqual(plan.skip, []);
});

test('a daily task missed five days: none moves (its series brings tomorrow’s), all five are skipped', (t) => {
  const missed = ['2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30'].map((d) =>
    occurrence('meds', d),
  );
  const upcoming = [occurrence('meds', '2026-12-01'), occurrence('meds', TOMORROW)];
  const plan = triagePlan(missed, upcoming, TOMORROW, dayOf);
  t.deepEqual(plan.move, []);
  t.deepEqual(ids(plan.skip), ids(missed));
});

test('a weekly task missed twice: the newest moves to tomorrow (next week’s stays), the older is skipped', (t) => {
  const older = occurrence('review', '2026-11-23');
  const newest = occurrence('review', '2026-11-30');
  const plan = triagePlan([newest, older], [occurrence('review', '2026-12-07')], TOMORROW, dayOf);
  t.deepEqual(ids(plan.move), [newest.id]);
  t.deepEqual(ids(plan.skip), [older.id]);
});

test('an occurrence due tomorrow that is done, or of another series, does not count as the series’ own', (t) => {
  const missed = occurrence('gym', '2026-11-30');
  const upcoming = [{ ...occurrence('gym', TOMORROW), completed: true }, occurrence('other', TOMORROW)];
  t.deepEqual(ids(triagePlan([missed], upcoming, TOMORROW, dayOf).move), [missed.id]);
});
