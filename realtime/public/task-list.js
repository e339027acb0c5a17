// The task list: a lit-html view of the store's tasks (newest first). lit-html updates the elements in
// place, so a control keeps keyboard focus across updates; only an item that leaves the page hands
// its focus on (a11y.focusAfterRemoval). Each item: completion, title, badges, due/recurrence line,
// reminders (with an adder), Edit / History / Delete with confirmation, the open history.
import { html, render, nothing } from '/vendor/lit-html/lit-html.js';
import { live } from '/vendor/lit-html/directives/live.js';
import { repeat } from '/vendor/lit-html/directives/repeat.js';
import { $, cssVar } from './dom.js';
import { getState, update, subscribe, userZone, taskZone, ownZone } from './store.js';
import { api, act } from './api.js';
import { isBusy, setBusy, focusAfterRemoval } from './a11y.js';
import { clockTime, formatter, humanDuration } from './time.js';
import { describeRule } from './rules.js';
import { reminderStatus } from './task-state.js';
import { upsertTask, fetchTask, removeTask } from './tasks.js';
import { toggleHistory, historyView } from './history.js';
import { openEditor } from './editor.js';
import { snooze, SNOOZE_CHOICES } from './notifications.js';
import { reminderChooser, readReminder } from './reminder-chooser.js';
import { toast } from './toasts.js';
import { undoable, completeNextOccurrence } from './undo.js';
import {
  visibleTasks,
  loadMore,
  listOf,
  localDate,
  addDays,
  dueDayOf,
  openOccurrences,
  standsForOccurrences,
} from './views.js';
import { labelChips, labelPicker, toggleLabelPicker } from './labels.js';
import { moveTask, TASK_DRAG_TYPE, goTo } from './sidebar.js';
import { orderedLists } from './store.js';
import { canHold, sentence } from './sharing.js';
import { dayIn, dayNear, dueNear, fmtNear, isOverdue, occurrenceDay } from './due.js';
import { moveOverdueToTomorrow } from './triage.js';

/**
 * The server's refusal of a reminder as the page says it: a time already passed is named as the page names
 * times ("today, 05:36"), not as the API's UTC instant after its field name; anything else as a sentence.
 */
function reminderProblem(message, zone, now = Date.now()) {
  const passed = /(\d{4}-\d{2}-\d{2}T[\d:.]+Z) is already in the past/.exec(message);
  if (passed) return `That time (${fmtNear(passed[1], zone, now)}) has already passed: choose a later one.`;
  return sentence(message);
}

/** The views in which "Hide completed" changes what is shown (views.js inView). */
const HIDE_DONE_VIEWS = new Set(['list', 'label', 'all']);

/** How long Delete waits for its confirmation. */
const CONFIRM_MS = 4000;

/** Start loading the next page while the end of the list is this far below the screen. */
const AHEAD_PX = 1200;

export function startTaskList() {
  $('#overdue-tomorrow').addEventListener('click', (e) => void moveOverdueToTomorrow(e.currentTarget));
  subscribe(renderList);
  renderList(getState());
  // Pages come as the end of the list comes near (IntersectionObserver on the line below the list).
  new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore();
    },
    { rootMargin: `0px 0px ${AHEAD_PX}px 0px` },
  ).observe($('#more'));
}

const PRIORITY_NAMES = { 1: 'P1 · urgent', 2: 'P2 · high', 3: 'P3 · medium', 4: 'P4 · none' };

function renderList(s) {
  const list = $('#tasks');
  const upcoming = s.view.kind === 'upcoming' && !s.q;
  const container = upcoming ? $('#upcoming') : list;
  const focused = [...container.querySelectorAll('li.task')].find((li) => li.contains(document.activeElement));
  const handOn = focusAfterRemoval(focused, $('#tasks-heading'));
  const tasks = visibleTasks(s);
  if (upcoming) {
    render(nothing, list);
    render(upcomingView(tasks, s), container);
  } else {
    render(nothing, $('#upcoming'));
    render(
      repeat(
        tasks,
        (task) => task.id,
        (task) => item(task, s),
      ),
      list,
    );
  }
  $('#upcoming').hidden = !upcoming;
  list.hidden = upcoming;
  // Today: below its tasks, the occurrences of series still ahead today (not tasks until they spawn).
  const ahead = s.view.kind === 'today' && !s.q ? (s.upcoming?.days[0]?.occurrences ?? []) : [];
  render(ahead.length ? todayAhead(ahead) : nothing, $('#today-ahead'));
  $('#today-ahead').hidden = ahead.length === 0;
  s.flashing.clear(); // highlighted once, when they arrived
  if (focused && !focused.isConnected) handOn();

  const page = s.page;
  const more = page?.cursor !== null && page?.cursor !== undefined;
  const open = tasks.filter((t) => !t.completed).length;
  // Today's and Upcoming's rows of series not spawned yet are counted apart (the sidebar adds them up).
  const repeating = upcoming ? (s.upcoming?.days.reduce((n, d) => n + d.occurrences.length, 0) ?? 0) : ahead.length;
  const repeatingText = repeating ? `, ${repeating} repeating` : '';
  $('#task-count').textContent =
    tasks.length || repeating
      ? `(${
          more
            ? `${tasks.length}+ shown`
            : open === 0
              ? `${tasks.length} done`
              : `${open} open${open !== tasks.length ? `, ${tasks.length} in all` : ''}`
        }${repeatingText})`
      : '';
  // "Hide completed" only where completed tasks are shown among the open ones (a list, a label, all tasks):
  // Today, Upcoming and Overdue never show them, Completed shows nothing else, and a search shows every match.
  $('#hide-done').closest('label').hidden = Boolean(s.q) || !HIDE_DONE_VIEWS.has(s.view.kind);
  // Overdue: everything it shows to tomorrow at once (triage.js).
  $('#overdue-tomorrow').hidden = Boolean(s.q) || s.view.kind !== 'overdue' || open === 0;
  const status = $('#list-status');
  const empty =
    tasks.length === 0 && ahead.length === 0 && !(upcoming && s.upcoming?.days.some((d) => d.occurrences.length));
  const emptyText = s.q
    ? 'No task matches the search.'
    : s.view.kind === 'list' || s.view.kind === 'all'
      ? 'No tasks yet: add one above.'
      : s.view.kind === 'assigned'
        ? 'Nothing is assigned to you: a member of a shared list can assign you a task from its editor.'
        : 'Nothing here.';
  const text = page?.error
    ? `Could not load the tasks: ${page.error}`
    : (s.listStatus ?? (page?.loading && empty ? 'Loading…' : empty ? emptyText : ''));
  status.textContent = text;
  status.hidden = !text;
  $('#more').textContent = page?.error ? '' : more ? (page.loading ? 'Loading more…' : 'Scroll for more') : '';
}

/**
 * One occurrence of a series not spawned yet: its time (or "all day"), title and a "repeats" badge. The
 * series' next one, while none of its occurrences is open (the server marks it `completable`), has a box that
 * completes it ahead of its time (POST /tasks/{series}/complete, undoable), as the series' row in its list
 * does: a newcomer found tonight's reading listed in Today and no way to tick it there.
 */
const occurrenceItem = (o, zone) => {
  const next = o.completable === true;
  const time = o.all_day ? 'all day' : formatter(zone, 'time').format(new Date(o.at));
  return html`<li class="occurrence">${
    next
      ? html`<input type="checkbox" class="occ-done" aria-label="Done ahead of time: ${o.title} (${dueNear(o.all_day ? { due_day: o.date } : { due_date: o.at }, zone)})"
      @change=${(e) => completeAhead({ id: o.series_id }, e.currentTarget)}>`
      : html`<span class="occ-done" aria-hidden="true"></span>`
  }<span class="occ-time">${time}</span><span class="occ-title" dir="auto">${o.title}</span><span class="badge">repeats</span></li>`;
};

/** Today's occurrences of series still ahead, in one section under the day's tasks. */
function todayAhead(occurrences) {
  const zone = userZone();
  return html`<section class="day" aria-labelledby="today-ahead-heading"><h3 id="today-ahead-heading">Repeating later today<span class="hint"> · ${occurrences.length}</span></h3><ul class="occurrences" aria-label="Repeating tasks due later today">${occurrences.map((o) => occurrenceItem(o, zone))}</ul></section>`;
}

/** Upcoming: a section per day (the server's days, in the user's zone), its tasks, then the series' next occurrences. */
function upcomingView(tasks, s) {
  const zone = userZone();
  const today = localDate(Date.now(), zone);
  const days = s.upcoming?.days ?? [];
  const byDay = new Map();
  for (const task of tasks) {
    const date = dueDayOf(task, zone);
    if (!byDay.has(date)) byDay.set(date, []);
    byDay.get(date).push(task);
  }
  const dayName = (date) => {
    const long = new Intl.DateTimeFormat(undefined, {
      timeZone: 'UTC',
      weekday: 'long',
      month: 'short',
      day: 'numeric',
    }).format(new Date(`${date}T12:00:00Z`));
    return date === today ? `Today · ${long}` : date === addDays(today, 1) ? `Tomorrow · ${long}` : long;
  };
  // What is overdue is not in Upcoming (it starts now), but a day here that says "nothing planned" must not
  // hide it (a user's pass): a line at the top says how many, and goes to them.
  const overdue = s.counts?.overdue ?? 0;
  const behind = overdue
    ? html`<section class="day overdue-note" aria-labelledby="upcoming-overdue"><h3 id="upcoming-overdue">Overdue<span class="hint"> · ${overdue}</span></h3><p class="hint">Not in Upcoming, which starts now: <button type="button" class="link" @click=${() => goTo({ kind: 'overdue' })}>show the overdue tasks</button></p></section>`
    : nothing;
  return html`${behind}${repeat(
    days,
    (d) => d.date,
    (d) => {
      const dayTasks = byDay.get(d.date) ?? [];
      const occurrences = d.occurrences;
      const empty = !dayTasks.length && !occurrences.length;
      // One list per day, in the order of the day: all-day first, then by time, tasks and the series'
      // occurrences together (a task and an occurrence at the same time: the task first).
      const entries = [
        ...dayTasks.map((task) => ({ task, at: task.due_day ? '' : task.due_date })),
        ...occurrences.map((o) => ({ occurrence: o, at: o.all_day ? '' : o.at })),
      ].sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
      return html`<section class="day${empty ? ' empty' : ''}" aria-labelledby="day-${d.date}"><h3 id="day-${d.date}">${dayName(d.date)}<span class="hint">${
        empty ? ' · nothing planned' : ` · ${dayTasks.length + occurrences.length}`
      }</span></h3>${
        entries.length
          ? html`<ul class="tasks">${repeat(
              entries,
              (e) => (e.task ? e.task.id : `${e.occurrence.series_id}@${e.occurrence.at}`),
              (e) => (e.task ? item(e.task, s) : occurrenceItem(e.occurrence, zone)),
            )}</ul>`
          : nothing
      }</section>`;
    },
  )}`;
}

function item(task, s) {
  const editor = s.editors.get(task.id);
  const cls = `task prio-${task.priority ?? 4}${task.completed ? ' done' : ''}${s.flashing.has(task.id) ? ' flash' : ''}`;
  return html`<li class=${cls} data-id=${task.id} tabindex="-1" draggable=${editor ? 'false' : 'true'} @dragstart=${dragStart}>${editor ? editor.element : itemBody(task, s)}</li>`;
}

function dragStart(e) {
  const li = e.currentTarget;
  if (e.target !== li) return;
  e.dataTransfer.setData(TASK_DRAG_TYPE, li.dataset.id);
  e.dataTransfer.setData('text/plain', li.querySelector('.title')?.textContent ?? '');
  e.dataTransfer.effectAllowed = 'move';
}

// The checkbox and <details> are bound to the store without live(): a render that comes between the
// user's click and its change/toggle event must not undo the click (lit-html then leaves them alone).
function itemBody(task, s) {
  const id = task.id;
  const zone = userZone();
  // Dates as a todo list says them, from the user's day: "today, 19:00", "Fri", "Thu, 24 Dec" (due.js
  // dayNear); the page is drawn again at the local midnight (views.js timePasses), so "today" stays true.
  const today = dayIn(new Date().toISOString(), zone);
  const near = (t) => dueNear(t, zone);
  const meta = [];
  // A done task says when it was done first (the Completed view is ordered by it).
  if (task.completed && task.completed_at) meta.push(`Completed ${fmtNear(task.completed_at, zone)}`);
  // A series in a list stands for its occurrences (views.js oneRowPerSeries): it shows the next open one,
  // and its checkbox completes that one; the series itself is never completed.
  const open = task.is_recurring && standsForOccurrences(s) ? openOccurrences(task, s) : [];
  const next = open[0];
  if (next) {
    const overdue = isOverdue(next, zone) ? ' — overdue' : '';
    meta.push(`Due ${near(next)}${overdue}`);
  } else if (task.is_recurring) {
    // Nothing open: "Next: …" below says when it comes. Its start is no date to show: long past, or a day its
    // rule does not name (a newcomer read "Starts tomorrow" on a Tue/Thu series on a Thursday).
  } else if (task.due_day) {
    // An all-day task: its date, no time (issue 16); overdue once its day has ended.
    const overdue = isOverdue(task, zone) ? ' — overdue' : '';
    meta.push(`Due ${near(task)}${overdue}`);
  } else if (task.due_date) {
    const own =
      task.timezone && task.timezone !== zone
        ? ` (${formatter(taskZone(task), 'time').format(new Date(task.due_date))} ${task.timezone})`
        : '';
    const overdue = !task.completed && Date.parse(task.due_date) < Date.now() ? ' — overdue' : '';
    meta.push(`Due ${near(task)}${own}${overdue}`);
  }
  if (task.recurrence_rule)
    meta.push(
      `Repeats ${describeRule(task.recurrence_rule)}${task.recurrence_mode === 'after_completion' ? ', counted from each completion' : ''}`,
    );
  // Others open: those due already are more to do ("1 more open"); one open ahead of its time (the next one
  // spawns early, actors/task/decide.ts spawn, so it can be seen and reminded of) is the next one, said so
  // ("Next: tomorrow, 9:00"), not a second copy (a newcomer's pass).
  const dueNow = (o) => (o.due_day ? o.due_day <= today : o.due_date !== null && Date.parse(o.due_date) <= Date.now());
  const moreDue = open.slice(1).filter(dueNow);
  const openAhead = open.slice(1).find((o) => !dueNow(o));
  if (moreDue.length) meta.push(`${moreDue.length} more open`);
  if (openAhead) meta.push(`Next: ${near(openAhead)}`);
  if (task.is_recurring && !next)
    meta.push(
      task.next_occurrence
        ? // An all-day series' next occurrence is a date (its day in the series' zone), not midnight somewhere.
          `Next: ${task.due_day ? `${dayNear(occurrenceDay(task, task.next_occurrence, ownZone(task)), today)}, all day` : fmtNear(task.next_occurrence, zone)}`
        : task.recurrence_mode === 'after_completion'
          ? 'Next one dated from when the open one is completed'
          : 'No further occurrences',
    );
  const historyOpen = s.openHistory.has(id);
  const confirming = s.confirming.has(id);
  // Labels are personal: only the task's creator labels it (another member's task in a shared list: none).
  const ownTask = !task.user_id || !s.me?.id || task.user_id === s.me.id;
  const labelsOpen = ownTask && s.openLabels.has(id);
  const priority = task.priority ?? 4;
  const lists = s.listsLoaded ? orderedLists().filter((l) => l.id === listOf(task) || canHold(l, task)) : [];
  const inList = listOf(task);
  const list = s.lists.get(inList);
  const showList = list && !(s.view.kind === 'list' && s.view.listId === inList && !s.q);
  const assigned = assigneeText(task, s);
  // With no occurrence open, a calendar series' box completes its next occurrence ahead of its time.
  const ahead = task.is_recurring && !next && task.recurrence_mode !== 'after_completion' && task.next_occurrence;
  return html`<div class="task-head"><input type="checkbox" id="done-${id}" data-k="done" .checked=${task.completed} ?disabled=${task.is_recurring && !next && !ahead}
      aria-label="Completed: ${task.title}${next ? ` (${near(next)})` : ''}" title=${task.is_recurring ? (next ? 'Completes this occurrence: the series goes on with the next' : ahead ? 'Completes the next occurrence ahead of its time: the series goes on with the one after' : 'A series is not completed itself: complete its occurrences, or delete the series') : nothing}
      @change=${(e) => (next ? completeOccurrence(next.id, e.currentTarget) : ahead ? completeAhead(task, e.currentTarget) : setCompleted(id, e.currentTarget))}><span class="title" dir="auto">${task.title}</span>${
        priority < 4 ? html`<span class="flag p${priority}" title="Priority ${priority}">P${priority}</span>` : nothing
      }${task.is_recurring ? html`<span class="badge">repeats</span>` : nothing}${
        task.series_id ? html`<span class="badge">occurrence</span>` : nothing
      }${task.completed ? html`<span class="badge">done</span>` : nothing}</div>${
        task.description ? html`<p class="desc" dir="auto">${task.description}</p>` : nothing
      }${
        meta.length || showList || assigned
          ? html`<p class="meta">${meta.map((line) => html`<span>${line}</span>`)}${
              assigned ? html`<span class="in-assignee" data-k="assignee">${assigned}</span>` : nothing
            }${
              showList
                ? html`<span class="in-list"><span class="dot" ${cssVar('--dot', list.color ?? 'var(--muted)')} aria-hidden="true"></span>${list.name}</span>`
                : nothing
            }</p>`
          : nothing
      }${labelChips(task, s)}${remindersView(
        task,
        s,
      )}<div class="actions"><button type="button" data-k="edit" aria-label="Edit: ${task.title}" @click=${() => openEditor(id)}>Edit</button><button type="button" data-k="history"
      aria-label="${historyOpen ? 'Hide history' : 'History'}: ${task.title}" aria-expanded=${String(historyOpen)} aria-controls="history-${id}"
      @click=${() => toggleHistory(id)}>${historyOpen ? 'Hide history' : 'History'}</button>${
        ownTask
          ? html`<button type="button" data-k="labels" aria-label="Labels: ${task.title}"
      aria-expanded=${String(labelsOpen)} aria-controls="labels-${id}" @click=${() => toggleLabelPicker(id)}>Labels</button>`
          : nothing
      }<select data-k="priority" class="compact" aria-label="Priority: ${task.title}"
      @change=${(e) => setPriority(id, e.currentTarget)}>${[1, 2, 3, 4].map((p) => html`<option value=${p} .selected=${live(p === priority)}>${PRIORITY_NAMES[p]}</option>`)}</select>${
        lists.length > 1
          ? html`<select data-k="list" class="compact" aria-label="List: ${task.title}" @change=${(e) => moveTask(id, e.currentTarget.value, e.currentTarget)}>${lists.map(
              (l) => html`<option value=${l.id} .selected=${live(l.id === inList)}>${l.name}</option>`,
            )}</select>`
          : nothing
      }${
        next && task.recurrence_mode !== 'after_completion'
          ? html`<button type="button" data-k="skip" aria-label="Skip this occurrence: ${task.title} (${near(next)})"
      title="Skips the occurrence it shows (deletes it, undoable): the series goes on with the next" @click=${(e) => skipOccurrence(next, e.currentTarget)}>Skip</button>`
          : nothing
      }<button type="button" class="danger${confirming ? ' confirm' : ''}" data-k="delete"
      aria-label="${confirming ? 'Confirm delete' : 'Delete'}: ${task.title}" @click=${(e) => deleteTask(id, e.currentTarget)}>${confirming ? 'Sure?' : 'Delete'}</button></div>${
        labelsOpen ? labelPicker(task, s) : nothing
      }${historyOpen ? historyView(id) : nothing}`;
}

/** PATCH {priority} (1 = urgent … 4 = none); from the row's select or the 1–4 keys. */
export function setPriority(id, control, value = Number(control.value)) {
  const task = getState().tasks.get(id);
  if (!task || (task.priority ?? 4) === value) return;
  void act(
    control,
    async () =>
      upsertTask(
        await undoable(
          'edit',
          task,
          (headers) => api('PATCH', `/tasks/${id}`, { priority: value }, headers),
          `Priority ${PRIORITY_NAMES[value] ?? value}`,
        ),
      ),
    'Could not change the priority',
  );
}

export function setCompleted(
  id,
  box,
  after = () => {
    const t = getState().tasks.get(id);
    if (t && box.isConnected) box.checked = t.completed;
  },
) {
  const wanted = box.checked;
  if (isBusy(box)) {
    box.checked = !wanted;
    return;
  }
  void act(
    box,
    async () => {
      const path = `/tasks/${id}/${wanted ? 'complete' : 'uncomplete'}`;
      const task = getState().tasks.get(id);
      // A completion and a reopen can each be undone for a while (undo.js), `z` taking back the latest.
      if (!task) return upsertTask(await api('POST', path));
      return upsertTask(
        await undoable(wanted ? 'complete' : 'reopen', task, (headers) => api('POST', path, undefined, headers)),
      );
    },
    wanted ? 'Could not complete the task' : 'Could not reopen the task',
  ).then(after);
}

/** Completes the next occurrence of `series` ahead of its time, from its row: the box is clear again after. */
function completeAhead(series, box) {
  if (isBusy(box)) {
    box.checked = false;
    return;
  }
  void act(box, async () => upsertTask(await completeNextOccurrence(series)), 'Could not complete the task').then(
    () => {
      if (box.isConnected) box.checked = false;
    },
  );
}

/** Completes occurrence `id` from its series' row: the box is the series', so it is clear again for the next one. */
function completeOccurrence(id, box) {
  setCompleted(id, box, () => {
    if (box.isConnected) box.checked = false;
  });
}

/**
 * Skips the occurrence `occurrence` a series row shows: deletes that one (undoable), and the series goes on
 * with its next (a calendar series only: an after-completion one dates its next from a completion).
 */
function skipOccurrence(occurrence, button) {
  void act(
    button,
    async () => {
      await undoable(
        'delete',
        occurrence,
        (headers) => api('DELETE', `/tasks/${occurrence.id}`, undefined, headers),
        'Skipped',
      );
      removeTask(occurrence.id);
    },
    'Could not skip the occurrence',
  );
}

const disarm = new Map();
/** The first press asks for a confirmation (for CONFIRM_MS), the second deletes. */
function deleteTask(id, button) {
  if (!getState().confirming.has(id)) {
    update((s) => {
      s.confirming.add(id);
    });
    disarm.set(
      id,
      setTimeout(
        () =>
          update((s) => {
            s.confirming.delete(id);
          }),
        CONFIRM_MS,
      ),
    );
    return;
  }
  clearTimeout(disarm.get(id));
  void act(
    button,
    async () => {
      const task = getState().tasks.get(id);
      if (task) await undoable('delete', task, (headers) => api('DELETE', `/tasks/${id}`, undefined, headers));
      else await api('DELETE', `/tasks/${id}`);
      removeTask(id);
    },
    'Could not delete the task',
  );
}

function reminderText(r, task) {
  const zone = taskZone(task);
  // Snoozed: its time is the one chosen, not the one its offset or time of day names.
  if (r.snoozed && r.remind_at) return `Snoozed to ${fmtNear(r.remind_at, zone)}`;
  if (r.at_time)
    return `${r.days_before ? `${r.days_before} day${r.days_before === 1 ? '' : 's'} before` : 'On the day'} at ${clockTime(r.at_time)}${r.remind_at ? ` — ${fmtNear(r.remind_at, zone)}` : ' of each occurrence'}`;
  if (r.offset)
    return `${humanDuration(r.offset)} before${r.remind_at ? ` — ${fmtNear(r.remind_at, zone)}` : ' each occurrence'}`;
  // "Today, 12:20 PM" ("At today, …" read wrong).
  const at = fmtNear(r.remind_at, zone);
  return at.charAt(0).toUpperCase() + at.slice(1);
}

/** "Assigned to you" / "Assigned to <user id>" for an assigned task (issue 17), else ''. */
export function assigneeText(task, s = getState()) {
  if (!task.assignee) return '';
  return `Assigned to ${task.assignee === s.me?.id ? 'you' : task.assignee}`;
}

/** Whether `task` is assigned to someone other than the signed-in user (then only they add reminders: 409). */
const assignedElsewhere = (task, s) => Boolean(task.assignee) && Boolean(s.me?.id) && task.assignee !== s.me.id;

const STATUS_TEXT = { pending: 'pending', notified: 'fired', template: 'per occurrence' };

/**
 * Why a reminder of the user's did not or will not fire, for the cancellations they did not ask for and
 * would otherwise never learn of (actors/task: cancel_reason); others (removed, replaced by an edit, the
 * task done or deleted) are not shown.
 */
/** Cancellations that rest until the due date gives the reminder time ahead again (actors/task/decide.ts LEFT_NO_TIME). */
const RESTING = new Set(['passed', 'no_due_date']);
const CANCELLED_TEXT = {
  // Back when the task is unassigned (while its time is still ahead); one whose time passed meanwhile stays off.
  assigned: (task, me) =>
    task.assignee && task.assignee !== me
      ? `paused while ${task.assignee} has the task`
      : 'not sent: the task was assigned to someone else then',
  passed: () => 'not sent: its time had passed (a later due date brings it back)',
  no_due_date: () => 'off: the task has no due date (a due date brings it back)',
  reaches_too_far: () => 'off: the repeat changed, and it reached back over too many occurrences',
};

function remindersView(task, s) {
  const id = task.id;
  const visible = task.reminders.filter((r) => !r.cancelled);
  const remove = (r) =>
    html`<button type="button" data-k="remove-${r.id}" aria-label="Remove reminder: ${reminderText(r, task)}"
      @click=${(e) =>
        act(
          e.currentTarget,
          async () => {
            await api('DELETE', `/tasks/${id}/reminders/${r.id}`);
            void fetchTask(id);
          },
          'Could not remove the reminder',
        )}>Remove</button>`;
  const rows = visible.map((r) => {
    const status = r.status ?? reminderStatus(r);
    return html`<li><span>${reminderText(r, task)}</span><span class="status ${status}">${STATUS_TEXT[status] ?? ''}</span>${
      status === 'notified' && !task.is_recurring && !task.completed
        ? html`<button type="button" data-k="snooze-${r.id}" @click=${(e) => snooze({ taskId: id, reminderId: r.id }, SNOOZE_CHOICES[0].body(), e.currentTarget, SNOOZE_CHOICES[0].done)}>Snooze 10 min</button>`
        : nothing
    }${remove(r)}</li>`;
  });
  const unsent = task.completed
    ? []
    : task.reminders.filter((r) => r.cancelled && CANCELLED_TEXT[r.cancel_reason] && r.user_id === s.me?.id);
  // One resting for want of time (it comes back when the due date gives it time ahead) can be removed for good.
  for (const r of unsent)
    rows.push(
      html`<li class="unsent"><span>${reminderText(r, task)}</span><span class="status cancelled">${CANCELLED_TEXT[r.cancel_reason](task, s.me?.id)}</span>${
        RESTING.has(r.cancel_reason) && !r.notified ? remove(r) : nothing
      }</li>`,
    );
  const toggled = (e) => {
    const open = e.currentTarget.open;
    update((st) => {
      if (open) st.openReminders.add(id);
      else st.openReminders.delete(id);
    });
  };
  const closed = Boolean(task.completed || task.deleted_at);
  const elsewhere = !closed && assignedElsewhere(task, s);
  return html`<details class=${visible.length ? 'rem' : 'rem none'} .open=${s.openReminders.has(id)} @toggle=${toggled}><summary data-k="reminders">${
    visible.length
      ? `Reminders (${visible.length})`
      : unsent.length || closed || elsewhere
        ? 'Reminders'
        : 'Add a reminder'
  }</summary><ul class="reminders">${rows}${
    visible.length || unsent.length ? nothing : html`<li class="hint">No reminders.</li>`
  }</ul>${
    closed
      ? nothing
      : elsewhere
        ? html`<p class="hint assignee-hint" data-k="rem-assigned">${task.assignee} is assigned this task: only they set reminders on it while it is assigned to them.</p>`
        : reminderAdder(task, s)
  }</details>`;
}

function reminderAdder(task, s) {
  const id = task.id;
  // The draft is scratch state of the controls: made on first show, no re-render needed for it.
  let draft = s.reminderDrafts.get(id);
  if (!draft) {
    draft = { choice: task.due_day ? 'day:0@09:00' : task.due_date ? 'PT1H' : 'at', at: '', error: '' };
    s.reminderDrafts.set(id, draft);
  }
  // An error said of one version of the task goes once the task changes (a refusal may not hold any more).
  if (draft.error && draft.errorVersion !== undefined && draft.errorVersion !== task.version) draft.error = '';
  const redraw = () => update(() => {});
  const add = (e) => {
    const button = e.currentTarget;
    const spec = readReminder(draft, taskZone(task));
    if (!spec || spec.error) {
      update(() => {
        draft.error = spec?.error ?? 'Choose a reminder.';
        draft.errorVersion = task.version;
      });
      return;
    }
    if (draft.error)
      update(() => {
        draft.error = '';
      });
    if (isBusy(button)) return;
    void (async () => {
      setBusy(button, true);
      try {
        await api('POST', `/tasks/${id}/reminders`, spec);
        update((st) => {
          st.reminderDrafts.delete(id);
        });
        void fetchTask(id);
      } catch (err) {
        if (getState().tasks.has(id) && getState().reminderDrafts.get(id) === draft)
          update(() => {
            draft.error = reminderProblem(err.message, taskZone(task));
            draft.errorVersion = getState().tasks.get(id)?.version;
          });
        else toast({ title: 'Could not add the reminder', body: err.message, kind: 'error' });
      } finally {
        setBusy(button, false);
      }
    })();
  };
  return html`<div class="row">${reminderChooser({ id: `rem-${id}`, label: 'Add', allowNone: false, allowBefore: Boolean(task.due_date), allDay: Boolean(task.due_day), allowAt: !task.is_recurring, draft, dataK: 'rem-choice', onChange: redraw })}<button type="button" data-k="rem-add" aria-label=${`Add reminder: ${task.title}`} @click=${add}>Add reminder</button><p class="error" role="alert">${draft.error}</p></div>`;
}
