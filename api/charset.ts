// A body is UTF-8 JSON (RFC 8259 §8.1: "JSON text exchanged between systems that are not part of a closed
// ecosystem MUST be encoded using UTF-8"). hapi decodes every body as UTF-8 whatever charset its
// Content-Type declares, so a body sent as `charset=iso-8859-1` was stored with U+FFFD where its accented
// letters were ('Café' became 'Caf�') and one in UTF-16 was a JSON error that said nothing of why. A declared
// charset other than UTF-8 is refused before the body is read: 415, naming content-type.
import type { Server } from '@hapi/hapi';
import { unsupportedMediaType } from './errors.ts';

/** The charset a Content-Type header declares (lower case, unquoted), or undefined when it declares none. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2] ?? '').toLowerCase() : undefined;
}

/** Refuses (415, field `content-type`) a request whose Content-Type declares a charset other than UTF-8. */
export function registerCharsetRefusal(server: Server): void {
  server.ext('onRequest', (request, h) => {
    const header = request.headers['content-type'];
    const charset = declaredCharset(typeof header === 'string' ? header : undefined);
    if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return h.continue;
    throw unsupportedMediaType(
      'content-type',
      `content-type: a body must be UTF-8 JSON (RFC 8259 §8.1); charset=${charset.slice(0, 40)} is not taken`,
    );
  });
}
