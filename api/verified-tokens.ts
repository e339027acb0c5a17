// Tokens already verified, so a client that sends the same bearer token with every request (every client
// does) pays for its signature check, base64 and JSON decoding and claim rules once a minute instead of on
// every request. The key is the whole token, signature included: only the exact bytes that were verified
// hit. Every hit is checked against the clock again (`exp` plus skew, `nbf`), so a cached token is refused
// at the same instant as an uncached one; the entry itself is dropped after `ttlMs`, which bounds what it
// adds to how long a key removed from the JWKS keeps accepting tokens it signed (@hapi/jwt refreshes its own
// copy of the JWKS after an hour by default: its strategy `cache.staleIn`).
// Failures are never cached: a refused token is checked again on its next use.
import type { AuthArtifacts, AuthCredentials } from '@hapi/hapi';

/** What a verified token authenticated as: the credentials (api/auth.ts `Credentials`) and @hapi/jwt's artifacts. */
export interface VerifiedToken {
  credentials: AuthCredentials;
  artifacts: AuthArtifacts;
}

export interface VerifiedTokensOptions {
  /** How long a verification is reused (ms, default 60 000). */
  ttlMs?: number;
  /** Most tokens kept (default 10 000); the oldest go first. About 1 KB each. */
  max?: number;
  /** Clock skew allowed on `nbf` (seconds), as the verification allows it. */
  clockSkewSec: number;
}

interface Entry {
  token: VerifiedToken;
  /** Epoch ms after which the entry is verified again. */
  until: number;
}

/**
 * The `Bearer` token of an Authorization header value, or undefined. Read as @hapi/jwt reads it (its
 * plugin's `internals.token`): the value split on whitespace must be exactly the scheme (any case, RFC 6750
 * §2.1) and the token, so a header it refuses is never answered from here either.
 */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const parts = header.split(/\s+/);
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}

/**
 * Whether a verified token is still in force at `nowMs` (epoch ms): before its `expiresAt` (api/auth.ts:
 * `exp` plus the skew) and not before `nbf` minus the skew (RFC 7519 §4.1.4-5). The same instants as
 * @hapi/jwt's `verifyTime`.
 */
export function inForce(token: VerifiedToken, nowMs: number, clockSkewSec: number): boolean {
  const expiresAt = (token.credentials as { expiresAt?: unknown }).expiresAt;
  if (typeof expiresAt !== 'number' || nowMs >= expiresAt) return false;
  const nbf = (token.artifacts as { decoded?: { payload?: { nbf?: unknown } } }).decoded?.payload?.nbf;
  return typeof nbf !== 'number' || nbf * 1000 <= nowMs + clockSkewSec * 1000;
}

export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(private readonly options: VerifiedTokensOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.max = options.max ?? 10_000;
  }

  /**
   * The verification of `token` when it was verified within `ttlMs` and is still in force at `nowMs`;
   * undefined otherwise. The credentials are a copy: a request may not change what the next one sees.
   */
  get(token: string, nowMs: number): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.until || !inForce(entry.token, nowMs, this.options.clockSkewSec)) {
      this.entries.delete(token);
      return undefined;
    }
    return { credentials: { ...entry.token.credentials }, artifacts: entry.token.artifacts };
  }

  /** Keeps `verified` for `token` from `nowMs`; the oldest entry goes when `max` are kept. */
  set(token: string, verified: VerifiedToken, nowMs: number): void {
    this.entries.delete(token);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, {
      token: { credentials: { ...verified.credentials }, artifacts: verified.artifacts },
      until: nowMs + this.ttlMs,
    });
  }

  get size(): number {
    return this.entries.size;
  }
}
