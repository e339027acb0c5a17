// Shared lists (issue 17) in the dashboard: the members dialog of a list (share with a user id, remove a
// member or revoke an invitation, hand the list over, leave), the banner of the user's open invitations
// (accept, decline), and what membership events do to the page: a list accepted here or elsewhere appears
// with its tasks (a snapshot read after the acceptance, so the events that follow apply on top of it),
// and a list the user left, was removed from or whose owner deleted it goes at once with its tasks.
//
// The API (api/routes/sharing.ts): GET/POST /lists/{id}/members, DELETE /lists/{id}/members/{user_id}
// (remove; leave when it is the caller's own id), POST /lists/{id}/owner, GET /invitations,
// POST /invitations/{list_id}/accept|decline. Membership events reach the user's own stream:
// list.shared {user_id, role, invited_by, list}, list.invitation_accepted|declined {user_id},
// list.member_left {user_id}, list.member_removed {user_id, was}, list.ownership_transferred {from, to}.
import { html, svg, render, nothing } from '/vendor/lit-html/lit-html.js';
import { $, cssVar } from './dom.js';
import { getState, update, subscribe } from './store.js';
import { api, act, ApiError } from './api.js';
import { upsertTask, removeTask } from './tasks.js';
import { showView, refreshCounts } from './views.js';
import { toast, dismissToastsOf } from './toasts.js';

/** Pages of a newly joined list's tasks read at most (PAGE of 200 each); later ones come with their events. */
const JOIN_PAGES = 10;
const JOIN_PAGE_SIZE = 200;

/** The membership events of a list (actors/list/membership.ts). */
const MEMBERSHIP = new Set([
  'list.shared',
  'list.invitation_accepted',
  'list.invitation_declined',
  'list.member_left',
  'list.member_removed',
  'list.ownership_transferred',
]);

const meId = () => getState().me?.id ?? null;

/**
 * The signed-in user's role in `list`: its `role` from GET /lists when the server gives one, else from
 * `owner_id`, else 'owner' (a server without sharing: every list is one's own).
 */
export function roleOf(list) {
  if (!list) return 'owner';
  if (list.role === 'owner' || list.role === 'editor') return list.role;
  if (typeof list.owner_id === 'string' && meId()) return list.owner_id === meId() ? 'owner' : 'editor';
  return 'owner';
}

/**
 * One person with a plus: the sidebar's control that shares a list or shows its members, so a shared list's
 * row does not show two identical glyphs (an SVG: the page may have no emoji font).
 */
export const shareIcon = svg`<svg class="people" viewBox="0 0 20 16" width="16" height="13" aria-hidden="true" focusable="false"><circle cx="8" cy="4.5" r="3" /><path d="M2 15c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5" /><path d="M16 3v6M13 6h6" /></svg>`;
/** Two people: the mark of a shared list, and the list header's Share button. */
export const peopleIcon = svg`<svg class="people" viewBox="0 0 20 16" width="16" height="13" aria-hidden="true" focusable="false"><circle cx="7" cy="4.5" r="3" /><path d="M1 15c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5" /><circle cx="14.5" cy="5" r="2.5" /><path d="M14 9.6c2.9 0 5 1.9 5 4.9" /></svg>`;

/**
 * Whether `task` may be moved into `list`: a list never shared holds only its owner's tasks, so another
 * member's task goes only to a shared list or to one of its creator's (the server refuses the rest: 400
 * on list_id).
 */
export const canHold = (list, task) =>
  Boolean(list?.shared) || (list?.owner_id ?? meId()) === (task?.user_id ?? meId());

/**
 * Whether others are in `list` now: the caller edits it, or it has another member or an open invitation
 * (GET /lists `member_count`, `invited_count`, kept current here after each membership event).
 */
export const isShared = (list) =>
  roleOf(list) === 'editor' || (list?.member_count ?? 1) > 1 || (list?.invited_count ?? 0) > 0;

/**
 * Reads the list's membership counts again after a membership event changed them (GET /lists/{id}); a
 * read older than the list this page holds (a later event came first) is dropped. A list gone or out of
 * reach meanwhile is the event's to handle.
 */
async function refreshHeadcount(listId) {
  try {
    const fresh = await api('GET', `/lists/${listId}`);
    const held = getState().lists.get(listId);
    if (held && fresh && (fresh.version ?? 0) >= (held.version ?? 0))
      patchList(listId, {
        shared: fresh.shared,
        member_count: fresh.member_count,
        invited_count: fresh.invited_count,
      });
  } catch {
    /* 404: removed or deleted meanwhile, which its own event tells the page */
  }
}

function patchList(id, change) {
  const list = getState().lists.get(id);
  if (!list) return;
  update((s) => {
    s.lists.set(id, { ...list, ...change });
  });
}

// ------------------------------------------------------------------ invitations
let invitationsRun = 0;

/** GET /invitations into the banner (a server without sharing: none). */
export async function loadInvitations() {
  const run = ++invitationsRun;
  try {
    const body = await api('GET', '/invitations');
    if (run === invitationsRun)
      update((s) => {
        s.invitations = body?.invitations ?? [];
      });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && run === invitationsRun)
      update((s) => {
        s.invitations = [];
      });
    /* otherwise the banner stays as it was; the next list.shared event or load asks again */
  }
}

/** The open invitation to `listId` shows the list's name and colour as `changes` ({field: {from, to}}) leave them. */
const invitationChanged = (listId, changes) =>
  update((s) => {
    s.invitations = (s.invitations ?? []).map((i) =>
      i.list_id !== listId
        ? i
        : {
            ...i,
            ...('name' in changes ? { name: changes.name.to } : {}),
            ...('color' in changes ? { color: changes.color.to } : {}),
          },
    );
  });

const dropInvitation = (listId) =>
  update((s) => {
    s.invitations = (s.invitations ?? []).filter((i) => i.list_id !== listId);
  });

async function answer(invitation, how, button) {
  await act(
    button,
    async () => {
      try {
        await api('POST', `/invitations/${invitation.list_id}/${how}`);
      } catch (error) {
        // Revoked, or answered in another tab meanwhile: the invitation is not open any more.
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        dropInvitation(invitation.list_id);
        void loadInvitations();
        toast({ title: 'That invitation is not open any more', body: invitation.name });
        return;
      }
      dropInvitation(invitation.list_id);
      if (how === 'accept') {
        await joinList(invitation.list_id, invitation);
        toast({
          title: `You joined “${invitation.name}”`,
          body: `Shared by ${invitation.invited_by}.`,
          opens: invitation.list_id,
          actions: [{ label: 'Open', run: () => goToList(invitation.list_id) }],
        });
      } else toast({ title: `Invitation to “${invitation.name}” declined` });
      focusAfterBanner();
    },
    how === 'accept' ? 'Could not accept the invitation' : 'Could not decline the invitation',
  );
}

/** After an answer the banner's button is gone: the focus goes to the next invitation, else the tasks heading. */
function focusAfterBanner() {
  requestAnimationFrame(() => {
    const next = $('#invitations button');
    (next ?? $('#tasks-heading'))?.focus();
  });
}

function renderInvitations(s) {
  const region = $('#invitations');
  if (!region) return;
  const invitations = s.invitations ?? [];
  region.hidden = invitations.length === 0;
  const item = (i) =>
    html`<li class="invitation" data-list=${i.list_id}><span class="dot" ${cssVar('--dot', i.color ?? 'var(--muted)')} aria-hidden="true"></span><span class="invitation-text"><strong>${i.invited_by}</strong> invited you to <strong>“${i.name}”</strong></span><span class="actions"><button type="button" aria-label="Accept invitation to ${i.name}" @click=${(e) => answer(i, 'accept', e.currentTarget)}>Accept</button><button type="button" aria-label="Decline invitation to ${i.name}" @click=${(e) => answer(i, 'decline', e.currentTarget)}>Decline</button></span></li>`;
  render(
    html`<h2 id="invitations-heading" class="visually-hidden">Invitations</h2><ul class="invitation-list" aria-labelledby="invitations-heading">${invitations.map(item)}</ul>`,
    region,
  );
}

// ------------------------------------------------------------------ joining and leaving
const joining = new Map(); // list id → the join in progress

/**
 * The user has access to `listId` now (accepted here or in another tab): the list from GET /lists (else
 * what the invitation said), then its tasks, page after page, taken into the store as any REST answer
 * (upsertTask: the newer version wins, so events that arrived meanwhile are kept).
 */
export function joinList(listId, invitation = null) {
  const running = joining.get(listId);
  if (running) return running;
  const run = (async () => {
    try {
      const lists = await api('GET', '/lists').catch(() => null);
      const found = lists?.lists?.find((l) => l.id === listId);
      const fallback = invitation
        ? { id: listId, name: invitation.name, color: invitation.color, inbox: false, position: 1e9, version: 0 }
        : null;
      const list = found ?? fallback;
      if (!list) return;
      update((s) => {
        s.lists.set(listId, { role: 'editor', shared: true, ...list, created_at: list.created_at ?? '' });
      });
      let cursor = null;
      for (let page = 0; page < JOIN_PAGES; page++) {
        const body = await api(
          'GET',
          `/tasks?list_id=${encodeURIComponent(listId)}&limit=${JOIN_PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        // Tasks this page dropped at an earlier removal from this list may come back now.
        update((s) => {
          for (const task of body.tasks ?? []) s.gone.delete(task.id);
        });
        for (const task of body.tasks ?? []) upsertTask(task);
        cursor = body.next_cursor ?? null;
        if (!cursor) break;
      }
      void refreshCounts();
    } finally {
      joining.delete(listId);
    }
  })();
  joining.set(listId, run);
  return run;
}

/**
 * The user has no access to `listId` any more: the list and every task of it the page holds go at once
 * (remembered as gone, so an answer still on its way does not bring one back); a view of it shows the Inbox.
 */
export function dropList(listId, message) {
  const s = getState();
  const list = s.lists.get(listId);
  if (openFor === listId) closeDialog();
  dismissToastsOf(listId);
  const ids = [...s.tasks.values()].filter((t) => t.list_id === listId).map((t) => t.id);
  for (const id of ids) removeTask(id);
  update((st) => {
    st.lists.delete(listId);
  });
  if (list && message) toast({ title: message(list.name) });
  if (s.view.kind === 'list' && s.view.listId === listId) {
    const inbox = [...getState().lists.values()].find((l) => l.inbox);
    void showView((st) => {
      st.view = inbox ? { kind: 'list', listId: inbox.id } : { kind: 'all' };
      st.q = '';
    });
  }
  void refreshCounts();
}

/** Opens list `listId` when the user still has it (else the Inbox, with a word why). */
const goToList = (listId) => {
  const held = getState().lists.has(listId);
  if (!held) toast({ title: 'That list is not shared with you any more' });
  const inbox = [...getState().lists.values()].find((l) => l.inbox);
  return showView((s) => {
    s.view = held ? { kind: 'list', listId } : inbox ? { kind: 'list', listId: inbox.id } : { kind: 'all' };
    s.q = '';
  });
};

/**
 * Who a task of `listId` may be assigned to (PATCH /tasks/{id} {assignee}): the list's owner and its active
 * members, from GET /lists/{id}/members, owner first; [] when the list is not shared or cannot be read.
 */
export async function assignableMembers(listId) {
  try {
    const body = await api('GET', `/lists/${listId}/members`);
    const ids = [body.owner_id, ...(body.members ?? []).filter((m) => m.state === 'active').map((m) => m.user_id)];
    const unique = [...new Set(ids.filter((id) => typeof id === 'string'))];
    return unique.length > 1 ? unique : [];
  } catch {
    return [];
  }
}

/** An API message as a sentence: a capital first letter and a full stop ("cannot share with yourself" → "Cannot share with yourself."). */
export const sentence = (text) => {
  const t = String(text ?? '').trim();
  if (!t) return t;
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
};

/**
 * One event of the user's stream, before the dashboard's own handling (tasks.js applyEvent). Returns
 * true when it is fully handled here (the page must not apply it again: a deleted list of which the user
 * is an editor is dropped with its tasks, not moved to the user's Inbox; a membership event about the
 * user who goes; a task moved into a list the user has no access to, which leaves the page), else false.
 */
export function sharingEvent(event) {
  const type = String(event.event_type ?? '');
  const d = event.data ?? {};
  if (type === 'task.updated' && typeof d.changes?.list_id?.to === 'string') {
    // Moved by another member out of a shared list into a list this user cannot see (the owner's own):
    // its last event here, so it leaves the page as it left the user's reach.
    const s = getState();
    const id = event.aggregate_id;
    if (s.listsLoaded && !s.lists.has(d.changes.list_id.to)) {
      const editing = s.editors.get(id);
      if (s.tasks.has(id)) removeTask(id);
      if (editing)
        toast({ title: 'A task you were editing was moved to a list you do not share', body: editing.title });
      return true;
    }
    // Moved (back) into a list the user sees: a task this page dropped earlier is fetched again (tasks.js).
    if (!s.tasks.has(id) && s.gone.has(id))
      update((st) => {
        st.gone.delete(id);
      });
    return false;
  }
  if (event.aggregate_type !== 'list' && !type.startsWith('list.')) return false;
  const listId = d.list?.id ?? d.list_id ?? event.aggregate_id;
  const me = meId();
  const held = getState().lists.get(listId);
  if (type === 'list.deleted') {
    dropInvitation(listId);
    if (openFor === listId) closeDialog();
    if (held && roleOf(held) === 'editor') {
      dropList(listId, (name) => `“${name}” was deleted by its owner`);
      return true;
    }
    return false;
  }
  if (type === 'list.updated' && !held) {
    // A list this user is invited to was renamed or recoloured (audience.ts tells those invited): the banner follows.
    invitationChanged(listId, d.changes ?? {});
    return true;
  }
  if (!MEMBERSHIP.has(type)) return false;
  // Membership changes are versions of the list too (its rename sends If-Match with the version held).
  if (held && Number.isSafeInteger(event.version) && event.version > (held.version ?? 0))
    patchList(listId, { version: event.version });
  const aboutMe = d.user_id === me;
  switch (type) {
    case 'list.shared':
      if (aboutMe && !held) void loadInvitations();
      else patchList(listId, { shared: true });
      break;
    case 'list.invitation_accepted':
      if (aboutMe) {
        dropInvitation(listId);
        if (!held) void joinList(listId);
      }
      break;
    case 'list.invitation_declined':
      if (aboutMe) dropInvitation(listId);
      else if (held && roleOf(held) === 'owner')
        toast({ title: `${d.user_id} declined your invitation to “${held.name}”`, group: 'shared' });
      break;
    case 'list.member_left':
    case 'list.member_removed':
      if (!aboutMe && type === 'list.member_left' && held && roleOf(held) === 'owner')
        toast({ title: `${d.user_id} left “${held.name}”`, group: 'shared' });
      if (aboutMe) {
        dropInvitation(listId);
        // The owner never leaves nor is removed: whoever this is about had the list as an editor.
        if (held)
          dropList(
            listId,
            type === 'list.member_left' ? (name) => `You left “${name}”` : (name) => `You were removed from “${name}”`,
          );
        refreshDialog(listId);
        return true;
      }
      break;
    case 'list.ownership_transferred':
      if (d.to === me) {
        // Told once: the page that handed it over knows already, the one that receives it learns it here.
        if (held && roleOf(held) !== 'owner')
          toast({
            title: `${d.from ?? 'The owner'} made you the owner of “${held.name}”`,
            body: 'You can rename, share or delete it now.',
            group: 'shared',
          });
        patchList(listId, { role: 'owner', owner_id: me, shared: true });
      } else if (d.from === me) patchList(listId, { role: 'editor', owner_id: d.to, shared: true });
      else patchList(listId, { owner_id: d.to });
      break;
  }
  if (getState().lists.has(listId)) void refreshHeadcount(listId);
  refreshDialog(listId);
  return false;
}

// ------------------------------------------------------------------ the members dialog
let openFor = null; // the list id whose members the dialog shows
let view = null; // {list_id, owner_id, members} as GET /lists/{id}/members answers
let message = ''; // the last error, as the API said it
let armed = null; // 'remove:<user>' | 'owner:<user>' | 'leave': the action waiting for its confirmation
let loadRun = 0;

function closeDialog() {
  const dialog = $('#members-dialog');
  if (dialog?.open) dialog.close();
}

/** Opens the members dialog of `list` (the sidebar's Share button). */
export function openMembersDialog(list) {
  openFor = list.id;
  view = null;
  message = '';
  armed = null;
  const dialog = $('#members-dialog');
  draw();
  dialog.showModal();
  $('#members-dialog h2')?.focus();
  void loadMembers(list.id).then(() => {
    if (openFor === list.id) ($('#share-user') ?? $('#members-dialog .member button'))?.focus();
  });
}

async function loadMembers(listId) {
  const run = ++loadRun;
  try {
    const body = await api('GET', `/lists/${listId}/members`);
    if (run !== loadRun || openFor !== listId) return;
    shown(body);
  } catch (error) {
    if (run !== loadRun || openFor !== listId) return;
    message = sentence(error.message);
    draw();
  }
}

/** A membership answer from the API: drawn, and the list's role and shared flag follow it. */
function shown(body) {
  view = body;
  const me = meId();
  const open = (body.members ?? []).filter((m) => m.user_id !== body.owner_id);
  patchList(body.list_id, {
    owner_id: body.owner_id,
    role: body.owner_id === me ? 'owner' : 'editor',
    ...(open.length > 0 ? { shared: true } : {}),
  });
  draw();
}

function refreshDialog(listId) {
  if (openFor === listId && $('#members-dialog')?.open) void loadMembers(listId);
}

/** A member's state when it is not simply active. */
const STATES = { invited: 'Invitation pending' };

/** Runs a membership action from `button`: its error shown in the dialog as the API said it. */
async function run(button, fn) {
  message = '';
  draw();
  await act(button, async () => {
    try {
      await fn();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      message = sentence(error.message);
      draw();
    }
  });
}

function share(e) {
  e.preventDefault();
  const input = $('#share-user');
  const userId = input.value.trim();
  if (!userId) {
    message = 'Enter the user id to share with.';
    draw();
    input.focus();
    return;
  }
  if (userId === meId()) {
    message = 'That is you: enter the user id of someone to share this list with.';
    draw();
    input.focus();
    return;
  }
  const already = view?.members?.find((m) => m.user_id === userId);
  if (already) {
    message =
      already.state === 'invited' ? `${userId} is invited already.` : `${userId} is a member of this list already.`;
    draw();
    input.focus();
    return;
  }
  const listId = openFor;
  void run($('#share-submit'), async () => {
    const body = await api('POST', `/lists/${listId}/members`, { user_id: userId, role: 'editor' });
    if (openFor !== listId) return;
    input.value = '';
    shown(body);
    patchList(listId, { shared: true });
    toast({ title: `Invited ${userId}`, body: 'They see the list once they accept.', group: 'shared' });
    input.focus();
  });
}

function confirmOr(key, button, doIt) {
  if (armed !== key) {
    armed = key;
    draw();
    button.focus();
    return;
  }
  armed = null;
  void run(button, doIt);
}

function remove(member, button) {
  const listId = openFor;
  confirmOr(`remove:${member.user_id}`, button, async () => {
    await api('DELETE', `/lists/${listId}/members/${encodeURIComponent(member.user_id)}`);
    toast({
      title: member.state === 'invited' ? `Invitation to ${member.user_id} revoked` : `${member.user_id} removed`,
      group: 'shared',
    });
    await loadMembers(listId);
    ($('#share-user') ?? $('#members-close'))?.focus();
  });
}

function handOver(member, button) {
  const listId = openFor;
  confirmOr(`owner:${member.user_id}`, button, async () => {
    const body = await api('POST', `/lists/${listId}/owner`, { user_id: member.user_id });
    if (openFor === listId) shown(body);
    toast({ title: `${member.user_id} owns the list now`, body: 'You stay as an editor.', group: 'shared' });
    $('#members-close')?.focus();
  });
}

function leave(button) {
  const listId = openFor;
  const me = meId();
  confirmOr('leave', button, async () => {
    await api('DELETE', `/lists/${listId}/members/${encodeURIComponent(me)}`);
    closeDialog();
    dropList(listId, (name) => `You left “${name}”`);
    $('#tasks-heading')?.focus();
  });
}

function draw() {
  const dialog = $('#members-dialog');
  if (!dialog) return;
  const list = getState().lists.get(openFor);
  const me = meId();
  const owner = view ? view.owner_id === me : roleOf(list) === 'owner';
  const name = list?.name ?? 'this list';
  const member = (m) => {
    const self = m.user_id === me;
    const isOwner = m.user_id === view.owner_id;
    const removeKey = `remove:${m.user_id}`;
    const ownerKey = `owner:${m.user_id}`;
    const controls =
      owner && !isOwner
        ? html`${
            m.state === 'active'
              ? html`<button type="button" class=${armed === ownerKey ? 'confirm' : ''} aria-label=${armed === ownerKey ? `Confirm: make owner: ${m.user_id}` : `Make owner: ${m.user_id}`}
              @click=${(e) => handOver(m, e.currentTarget)}>${armed === ownerKey ? 'Confirm: make owner' : 'Make owner'}</button>`
              : nothing
          }<button type="button" class="danger${armed === removeKey ? ' confirm' : ''}"
            aria-label=${armed === removeKey ? `Confirm: remove ${m.user_id}` : m.state === 'invited' ? `Revoke invitation: ${m.user_id}` : `Remove ${m.user_id}`}
            @click=${(e) => remove(m, e.currentTarget)}>${armed === removeKey ? 'Confirm remove' : m.state === 'invited' ? 'Revoke' : 'Remove'}</button>`
        : !owner && self
          ? html`<button type="button" class="danger${armed === 'leave' ? ' confirm' : ''}" aria-label=${armed === 'leave' ? 'Confirm: leave the list' : 'Leave the list'}
            @click=${(e) => leave(e.currentTarget)}>${armed === 'leave' ? 'Confirm: leave' : 'Leave list'}</button>`
          : nothing;
    return html`<li class="member" data-user=${m.user_id}><span class="member-who"><span class="member-id">${m.user_id}</span>${self ? html` <span class="hint">(you)</span>` : nothing}</span><span class="member-role">${isOwner ? 'Owner' : 'Editor'}${m.state === 'active' ? nothing : html`<span class="hint"> · ${STATES[m.state] ?? m.state}</span>`}</span><span class="actions">${controls}</span></li>`;
  };
  render(
    html`<h2 id="members-heading" tabindex="-1">${owner ? 'Share' : 'Members of'} “${name}”</h2>
      ${
        view
          ? html`<ul class="members" aria-label="Members of ${name}">${view.members.map(member)}</ul>`
          : html`<p class="hint" role="status">Loading members…</p>`
      }
      ${
        owner
          ? html`<form id="share-form" class="share-form" novalidate @submit=${share}><label for="share-user">Share with (user id)</label><div class="share-row"><input id="share-user" autocomplete="off" maxlength="128" required aria-describedby="share-hint"><button type="submit" id="share-submit">Share</button></div><p id="share-hint" class="hint">They can add, edit and complete the list's tasks once they accept.</p></form>`
          : html`<p class="hint">Only the owner can invite or remove members.</p>`
      }
      ${
        armed?.startsWith('owner:')
          ? html`<p class="confirm-text" role="status">Make ${armed.slice(6)} the owner? You will stay as an editor and can no longer rename, delete or share it.</p>`
          : nothing
      }
      <p class="error" role="alert">${message}</p>
      <div class="actions"><button type="button" id="members-close" @click=${closeDialog}>Close</button></div>`,
    dialog,
  );
}

export function setupSharing() {
  const dialog = $('#members-dialog');
  dialog?.addEventListener('close', () => {
    openFor = null;
    view = null;
    armed = null;
    loadRun++;
  });
  subscribe(renderInvitations);
  renderInvitations(getState());
}
