// Shared lists (issue 17): the owner invites editors, who accept or decline; an editor leaves; the owner
// removes an editor (or revokes an invitation) or hands the list over. Each command runs on the list's
// ListActor (host/lists/turn.ts; the rules are actors/list/membership.ts decideMembership's), so two
// membership changes of one list never interleave. A non-member gets 404 (the list's existence is not
// revealed), an editor doing the owner's part 403. Sharing with a user id nobody has used yet answers as
// for any other user: the API cannot be used to learn whether a user exists.
import Boom from '@hapi/boom';
import type { Request, Server } from '@hapi/hapi';
import type { ApiDeps } from '../deps.ts';
import * as S from '../schemas.ts';
import { userOf, metaOf } from '../context.ts';
import type { ListState, MemberState } from '../../actors/list/index.ts';
import type { MembershipCommand } from '../../actors/list/membership.ts';

const tagged = (description: string) => ({ tags: ['api', 'sharing'], description });

/** A list's membership as the API shows it (api/responses.ts Members). */
export interface MembersView {
  list_id: string;
  owner_id: string;
  /** The owner first (a list never shared: the owner alone), then the invited and active editors by (created_at, user_id). */
  members: MemberState[];
}

/**
 * The membership of `list` as `viewer` may see it: null (a 404) unless the list is live and the viewer is
 * its owner or an active editor (the rule of the list_access view, migration 013).
 */
export function membersOf(list: ListState | null | undefined, viewer: string): MembersView | null {
  if (!list || list.deleted_at !== null) return null;
  const row = list.members.find((m) => m.user_id === viewer);
  if (list.user_id !== viewer && row?.state !== 'active') return null;
  const open = list.members.filter((m) => m.state === 'invited' || m.state === 'active');
  const owner: MemberState = open.find((m) => m.user_id === list.user_id) ?? {
    user_id: list.user_id,
    role: 'owner',
    state: 'active',
    invited_by: list.user_id,
    created_at: list.created_at,
    updated_at: list.created_at,
  };
  return { list_id: list.id, owner_id: list.user_id, members: [owner, ...open.filter((m) => m !== owner)] };
}

export function sharingRoutes(server: Server, deps: ApiDeps): void {
  // Failures are mapped once (api/errors.ts): handlers just call and return.
  const membership = (request: Request, listId: string, command: MembershipCommand) =>
    deps.runtime.membership(listId, { userId: userOf(request), command, meta: metaOf(request) });
  const shown = (list: ListState | null | undefined, request: Request): MembersView => {
    const view = membersOf(list, userOf(request));
    if (view === null) throw Boom.notFound('list not found');
    return view;
  };

  server.route({
    method: 'GET',
    path: '/lists/{id}/members',
    options: {
      ...tagged("A list's owner and its invited and active editors (the owner and active editors only; others 404)"),
      validate: { params: S.listId },
      handler: async (request) => shown(await deps.sharing.list((request.params as { id: string }).id), request),
    },
  });
  server.route({
    method: 'POST',
    path: '/lists/{id}/members',
    options: {
      ...tagged(
        'Invite a user to the list as an editor (the owner only: an editor gets 403). 201 when invited now, 200 when already invited; 409 for the Inbox or an active member',
      ),
      validate: { params: S.listId, payload: S.shareList, headers: S.writeHeaders },
      handler: async (request, h) => {
        const { user_id } = request.payload as { user_id: string; role: 'editor' };
        const result = await membership(request, (request.params as { id: string }).id, {
          type: 'share',
          user_id,
          role: 'editor',
        });
        return h.response(shown(result.list, request)).code(result.events.length > 0 || result.replayed ? 201 : 200);
      },
    },
  });
  server.route({
    method: 'DELETE',
    path: '/lists/{id}/members/{user_id}',
    options: {
      ...tagged(
        "Remove an editor or revoke an invitation (the owner only: an editor gets 403), or leave the list when user_id is the caller's own (the owner: 409, transfer first)",
      ),
      validate: { params: S.memberParams, headers: S.writeHeaders },
      handler: async (request, h) => {
        const { id, user_id } = request.params as { id: string; user_id: string };
        const command: MembershipCommand =
          user_id === userOf(request) ? { type: 'leave' } : { type: 'remove', user_id };
        await membership(request, id, command);
        return h.response().code(204);
      },
    },
  });
  server.route({
    method: 'POST',
    path: '/lists/{id}/owner',
    options: {
      ...tagged(
        'Hand the list over to an active editor (the owner only: an editor gets 403); the old owner stays as an editor. 409 when the user has not accepted yet',
      ),
      validate: { params: S.listId, payload: S.transferList, headers: S.writeHeaders },
      handler: async (request) => {
        const { user_id } = request.payload as { user_id: string };
        const result = await membership(request, (request.params as { id: string }).id, {
          type: 'transfer',
          user_id,
        });
        return shown(result.list, request);
      },
    },
  });
  server.route({
    method: 'GET',
    path: '/invitations',
    options: {
      ...tagged("The caller's open invitations, newest first: each list's name and colour only"),
      handler: async (request) => ({ invitations: await deps.sharing.invitations(userOf(request)) }),
    },
  });
  for (const answer of ['accept', 'decline'] as const) {
    server.route({
      method: 'POST',
      path: `/invitations/{list_id}/${answer}`,
      options: {
        ...tagged(
          answer === 'accept'
            ? "Accept an invitation: the caller becomes an active editor and gets the list's events from now on (404 without an open invitation)"
            : 'Decline an invitation (404 without an open invitation)',
        ),
        validate: { params: S.invitationParams, headers: S.writeHeaders },
        handler: async (request, h) => {
          const result = await membership(request, (request.params as { list_id: string }).list_id, {
            type: answer,
          });
          return answer === 'accept' ? shown(result.list, request) : h.response().code(204);
        },
      },
    });
  }
}
