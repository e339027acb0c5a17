// The sign-in token: kept in localStorage, taken from a #token=… link, or got from the development sign-in.

const TOKEN_KEY = 'tasklane.token';

export const storedToken = () => localStorage.getItem(TOKEN_KEY);
export const keepToken = (token) => localStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => localStorage.removeItem(TOKEN_KEY);

/** The token in the URL (#token=<jwt>), left in place (tokenFromHash takes it out). */
export const hashToken = () => new URLSearchParams(location.hash.slice(1)).get('token');

/**
 * The user a JWT names (its `sub`, which the server takes as the user id: api/auth.ts), read without
 * checking the signature — only to start loading that user's page early; null when it is not a JWT.
 */
export function userOfToken(token) {
  try {
    const part = String(token).split('.')[1];
    if (!part) return null;
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const sub = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))).sub;
    return typeof sub === 'string' && sub ? sub : null;
  } catch {
    return null;
  }
}

/** A token in the URL (#token=<jwt>) is kept in localStorage and taken out of the address bar. */
export function tokenFromHash() {
  const token = hashToken();
  if (!token) return null;
  keepToken(token);
  history.replaceState(null, '', location.pathname + location.search);
  return token;
}

/**
 * POST /auth/dev-token for `userId`: {token} on success, else {message} saying why (the server has
 * development sign-in off, refused, or cannot be reached).
 */
export async function devSignIn(userId) {
  try {
    const response = await fetch('/auth/dev-token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId }),
    });
    if (response.status === 404) {
      return {
        message:
          'Development sign-in is off on this server. Open the dashboard with a link ending in #token=… (npm run token -- <user id> prints one).',
      };
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok || !body.token) return { message: body.message ?? `Sign-in failed (HTTP ${response.status}).` };
    return { token: body.token };
  } catch {
    return { message: 'The server cannot be reached.' };
  }
}
