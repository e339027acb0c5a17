// The zone a task follows when it has none of its own: its home user's (tasks.user_id, the task's creator),
// whoever reads it. With shared lists (issue 17) a member reads tasks other members made: a daily 09:00 made
// by a user in Berlin is 09:00 in Berlin for every member, not 09:00 wherever the reader is (shared-lists
// plan, section 0: the home is "used only for the zone of a task that follows one").
import type { TaskState } from '../actors/task/index.ts';
import type { ApiDeps } from './deps.ts';

/** A task's zone: its own, else its home user's (IANA name). */
export type ZoneOf = (task: Pick<TaskState, 'timezone' | 'user_id'>) => Promise<string>;

/**
 * `zoneOf` for one request by `viewer` (whose zone is already read): each other home user's zone is read
 * once (deps.users), so a page of tasks costs one read per home user besides the viewer, at most.
 */
export function homeZones(users: ApiDeps['users'], viewer: { id: string; timezone: string }): ZoneOf {
  const zones = new Map<string, Promise<string>>([[viewer.id, Promise.resolve(viewer.timezone)]]);
  return (task) => {
    if (task.timezone !== null) return Promise.resolve(task.timezone);
    let zone = zones.get(task.user_id);
    if (zone === undefined) {
      zone = users.get(task.user_id).then((u) => u.timezone);
      zones.set(task.user_id, zone);
    }
    return zone;
  };
}

/**
 * `tasks` with each one that follows its home user's zone given that zone as its own when the home user is
 * not the viewer: for code that expands or writes tasks in one zone (`viewer.timezone` otherwise), such as
 * the upcoming view and the calendar feed. Not for answers that show a task's fields (`timezone` stays null there).
 */
export async function withHomeZones<T extends Pick<TaskState, 'timezone' | 'user_id'>>(
  tasks: readonly T[],
  viewer: string,
  zoneOf: ZoneOf,
): Promise<T[]> {
  return Promise.all(
    tasks.map(async (t) => (t.timezone !== null || t.user_id === viewer ? t : { ...t, timezone: await zoneOf(t) })),
  );
}
