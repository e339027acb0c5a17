// The signing keys of an identity provider, read from its JWKS (RFC 7517) at JWKS_URL, for @hapi/jwt as a
// dynamic key source. @hapi/jwt 3.2 reads a JWKS itself (`keys: {uri}`), but: it reads only RSA keys; it
// reads the JWKS while the server starts and fails the start when the provider is away; and a token signed
// with a key published since its last read waits for that read. Here:
// - RSA keys are offered for RS256, EC keys (P-256 / P-384) for ES256 / ES384; a key whose `use` is not
//   `sig`, without a `kid`, or that Node cannot import is left out;
// - nothing is read before the first token: the app starts while the provider is away, and a token that
//   comes before any read succeeded is a 503 (api/auth.ts), not a 500;
// - the JWKS is read again once older than `refreshMs` (JWKS_REFRESH_SEC; the old copy answers meanwhile),
//   and at once for a `kid` not in it (at most every UNKNOWN_KID_MS: made-up kids cannot drive the reads);
// - a read that fails keeps the keys read before, and the next waits RETRY_MS (the provider is not asked
//   on every token while it is away).
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { request as httpRequest } from 'undici';

/** A key as @hapi/jwt takes it: PEM, the algorithms it verifies, its kid. */
export interface VerificationKey {
  key: string;
  algorithms: string[];
  kid: string;
}

/** At most one read for unknown kids in this long (ms). */
export const UNKNOWN_KID_MS = 30_000;
/** After a failed read, the next one waits this long at most (ms). */
const RETRY_MS = 5_000;
/** A read gives up after this long (ms). */
const READ_TIMEOUT_MS = 10_000;
/** A JWKS larger than this (bytes) is refused. */
const MAX_JWKS_BYTES = 1_000_000;

const CURVES: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384' };

/** The usable signing keys of a JWKS document, by kid. */
export function signingKeys(document: unknown): Map<string, VerificationKey> {
  const out = new Map<string, VerificationKey>();
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return out;
  for (const jwk of keys as (JsonWebKey & { kid?: unknown; use?: unknown })[]) {
    if (typeof jwk?.kid !== 'string' || jwk.kid.length === 0) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const algorithm = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' ? CURVES[String(jwk.crv)] : undefined;
    if (!algorithm) continue;
    try {
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      out.set(jwk.kid, { key: pem, algorithms: [algorithm], kid: jwk.kid });
    } catch {
      // Not a key Node can import (a malformed modulus, an unknown curve): left out.
    }
  }
  return out;
}

export class JwksKeys {
  private keys = new Map<string, VerificationKey>();
  private readAt = Number.NEGATIVE_INFINITY;
  private unknownReadAt = Number.NEGATIVE_INFINITY;
  /** No read before this instant (ms) after one failed: a provider away is not asked on every token. */
  private retryAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * The keys for a token whose header names `kid`: the one with that kid, or every key when it names none.
   * Before any read succeeded it reads first, and throws when that fails; an old copy is answered at once
   * and read again behind; an unknown kid waits for a read (at most every UNKNOWN_KID_MS).
   */
  async keysFor(kid: unknown): Promise<VerificationKey[]> {
    const now = this.now();
    const readable = now >= this.retryAt;
    if (this.readAt === Number.NEGATIVE_INFINITY) {
      if (readable) await this.read();
      if (this.readAt === Number.NEGATIVE_INFINITY) throw new Error(`the JWKS at ${this.url} could not be read`);
    } else if (
      typeof kid === 'string' &&
      !this.keys.has(kid) &&
      readable &&
      now - this.unknownReadAt >= UNKNOWN_KID_MS
    ) {
      this.unknownReadAt = now;
      await this.read();
    } else if (readable && now - this.readAt >= this.refreshMs) void this.read();
    if (typeof kid === 'string') {
      const key = this.keys.get(kid);
      return key ? [key] : [];
    }
    return [...this.keys.values()];
  }

  /** One read at a time; a failed read keeps what was read before, is logged, and holds reads off a while. */
  private read(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const response = await httpRequest(this.url, {
          headersTimeout: READ_TIMEOUT_MS,
          bodyTimeout: READ_TIMEOUT_MS,
          headers: { accept: 'application/json' },
        });
        const text = await response.body.text();
        if (response.statusCode !== 200) throw new Error(`the JWKS at ${this.url} answered ${response.statusCode}`);
        if (text.length > MAX_JWKS_BYTES) throw new Error(`the JWKS at ${this.url} is over ${MAX_JWKS_BYTES} bytes`);
        const keys = signingKeys(JSON.parse(text));
        if (keys.size === 0) throw new Error(`the JWKS at ${this.url} holds no usable signing key`);
        this.keys = keys;
        this.readAt = this.now();
      } catch (error) {
        this.retryAt = this.now() + Math.min(this.refreshMs, RETRY_MS);
        this.onError(error);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
