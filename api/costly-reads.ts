// Reads that expand series or render a calendar, and a zone change (a task turn for every series that
// follows the zone), cost from milliseconds up to seconds of the one event loop each. Each is bounded on
// its own (the Upcoming budget, the feed's budgets) and yields as it works, but one user's many at once still took turns with everyone's requests: 30 concurrent Upcoming
// reads from one user held another user's plain list read for up to 2 s (an attacker's pass). So each
// caller runs at most COSTLY_IN_FLIGHT of them at a time; more wait their turn in order, up to
// COSTLY_WAITING, and beyond that are refused with 429 and Retry-After. A route opts in by wrapping its
// options in `costly(…)`: its handler then runs inside the caller's turn, which ends when the handler's
// work ends (whatever becomes of the client), and a request whose client left while it waited gives its
// turn back without running. The caller is the authenticated user, or for a route without authentication
// (the calendar feed) the client's address, as the feed's rate limit counts it.
import Boom from '@hapi/boom';
import type { Lifecycle, Request, ResponseToolkit, RouteOptions, Server } from '@hapi/hapi';
import type { Credentials } from './auth.ts';
import { clientAddress } from './client-address.ts';

/** Costly reads one caller may have running at once. */
export const COSTLY_IN_FLIGHT = 2;
/** Costly reads one caller may have waiting for a turn; one more is a 429. */
export const COSTLY_WAITING = 8;

interface Caller {
  running: number;
  waiting: (() => void)[];
}

/** Turns per caller: `enter` resolves with the release of a turn, or null when too many already wait. */
export class Turns {
  private readonly callers = new Map<string, Caller>();

  constructor(
    private readonly inFlight = COSTLY_IN_FLIGHT,
    private readonly maxWaiting = COSTLY_WAITING,
  ) {}

  async enter(key: string): Promise<(() => void) | null> {
    let caller = this.callers.get(key);
    if (!caller) {
      caller = { running: 0, waiting: [] };
      this.callers.set(key, caller);
    }
    if (caller.running >= this.inFlight) {
      if (caller.waiting.length >= this.maxWaiting) return null;
      await new Promise<void>((resolve) => caller?.waiting.push(resolve));
    }
    caller.running++;
    let released = false;
    return () => {
      if (released || !caller) return;
      released = true;
      caller.running--;
      const next = caller.waiting.shift();
      if (next) next();
      else if (caller.running === 0) this.callers.delete(key);
    };
  }

  /** Callers with a read running or waiting (for tests). */
  get size(): number {
    return this.callers.size;
  }
}

/** The turns of each server (registerCostlyReads); a server without them runs costly reads unlimited. */
const turnsOf = new WeakMap<object, Turns>();

function keyOf(request: Request): string {
  if (request.auth.isAuthenticated) return `user:${(request.auth.credentials as unknown as Credentials).user}`;
  return `address:${clientAddress(request)}`;
}

/**
 * `options` of a costly read: its handler runs inside the caller's turn (a 429 with Retry-After: 1 when
 * COSTLY_WAITING already wait), and the turn ends when the handler's promise settles.
 */
export function costly<O extends RouteOptions & { handler: Lifecycle.Method }>(options: O): O {
  const handler = options.handler;
  const wrapped: Lifecycle.Method = async function (this: object | null, request: Request, h: ResponseToolkit) {
    const turns = turnsOf.get(request.server);
    if (!turns) return handler.call(this, request, h);
    const release = await turns.enter(keyOf(request));
    if (!release) {
      const boom = Boom.tooManyRequests(
        `too many costly requests at once (at most ${COSTLY_IN_FLIGHT} running and ${COSTLY_WAITING} waiting per caller): retry after 1 s`,
      );
      boom.output.headers['retry-after'] = '1';
      throw boom;
    }
    try {
      // The client left while this waited: nobody reads the answer.
      if (!request.active()) return h.close;
      return await handler.call(this, request, h);
    } finally {
      release();
    }
  };
  return { ...options, handler: wrapped };
}

/** Gives `server`'s costly reads (`costly`) their turns per caller. */
export function registerCostlyReads(server: Server, turns = new Turns()): Turns {
  turnsOf.set(server, turns);
  return turns;
}
