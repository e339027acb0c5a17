// What a client's WebSocket frame must look like before nes (14.x, protocol version 2) handles it.
//
// nes reads a frame's fields as the protocol says they are and fails inside when they are not: a `method`
// that is an object, a `path` that is an array, `subs` holding non-strings, or `auth` a string end in a
// TypeError that nes rethrows as a "system" error (@hapi/bounce) — an unhandled rejection logged at error
// level (with a bearer token in its message), no answer to the frame, and the socket's count of frames
// under way left above zero for good, so its heartbeat never closed it when its client went silent. A
// frame of another shape is answered here with nes' own error frame (400, naming the field) and never
// reaches nes. Fields the protocol does not name are left alone (a newer client may send more).
import Joi from 'joi';

const id = Joi.alternatives(Joi.string().min(1).max(256), Joi.number()).required();
/** Request headers as HTTP carries them: names and values are text. */
const headers = Joi.object().pattern(Joi.string(), Joi.string());
/** nes' `direct` auth (the only one tasklane configures): the headers the auth route is injected with. */
const auth = Joi.object({ headers }).unknown(true);

const frame = (keys: Record<string, Joi.Schema>) => Joi.object({ type: Joi.string(), id, ...keys }).unknown(true);

const BY_TYPE: Record<string, Joi.ObjectSchema> = {
  hello: frame({ version: Joi.string(), auth, subs: Joi.array().items(Joi.string()) }),
  reauth: frame({ auth }),
  request: frame({ method: Joi.string().required(), path: Joi.string().required(), headers }),
  message: frame({}),
  sub: frame({ path: Joi.string().required() }),
  unsub: frame({ path: Joi.string().required() }),
  ping: frame({}),
};

/**
 * What is wrong with `frame` (a client's message, JSON-parsed) as nes protocol 2 reads it, naming the
 * field ("subs[0] must be a string"), or null when nothing is. Its `type` must be one of the protocol's
 * (hello, reauth, request, message, sub, unsub, ping); `id` a non-empty string or a number.
 */
export function frameProblem(frame: unknown): string | null {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return 'a message must be a JSON object';
  const type = (frame as { type?: unknown }).type;
  const schema = typeof type === 'string' ? BY_TYPE[type] : undefined;
  if (schema === undefined) return `type must be one of ${Object.keys(BY_TYPE).join(', ')}`;
  const { error } = schema.validate(frame, { abortEarly: true, errors: { wrap: { label: false } } });
  // joi labels a problem with its path ("subs[0] must be a string").
  return error?.details[0]?.message ?? null;
}

/** The `type` and `id` an error frame may echo: the frame's own, when they are plain text or a number. */
export function echoOf(frame: unknown): { type?: string; id?: string | number } {
  if (typeof frame !== 'object' || frame === null) return {};
  const { type, id: given } = frame as { type?: unknown; id?: unknown };
  return {
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof given === 'string' || typeof given === 'number' ? { id: given } : {}),
  };
}
