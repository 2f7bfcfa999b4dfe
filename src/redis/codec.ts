/**
 * The one message format of `breakwater/redis` on pub/sub, and its defensive decoder.
 *
 * A message is one JSON object, the *envelope*:
 *
 * ```json
 * {"bw":"breakwater","v":1,"k":"halt","i":"game-7f3a","d":{"reason":"ops"}}
 * ```
 *
 * | field | meaning | rule |
 * | --- | --- | --- |
 * | `bw` | the coordinator's prefix | a string; another prefix is *foreign* |
 * | `v` | the format version | `1`; another number is *foreign* |
 * | `k` | the kind of message | 1–64 of `A–Z a–z 0–9 . _ : -`, starting with a letter or digit |
 * | `i` | the sender's instance id | 1–128 printable characters (no control characters) |
 * | `d` | the payload | any JSON value; its reader validates it |
 *
 * No other field is allowed. Bytes from Redis are untrusted: the decoder never throws, and
 * accepts nothing but a well-formed envelope of this prefix and version no larger than
 * `maxBytes` (UTF-8). What it refuses it names: `'oversized'`, `'malformed'`,
 * `'foreign-prefix'` or `'foreign-version'`.
 *
 * @packageDocumentation
 */

/** The envelope version this build writes and reads. */
export const MESSAGE_VERSION = 1;

/** Default largest message (UTF-8 bytes) the decoder accepts: 64 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/**
 * A decoded fleet message.
 *
 * @example
 * ```ts
 * coordinator.subscribe('chaos', (m: FleetMessage) => {
 *   if (m.kind === 'halt') chaos.halt();
 * });
 * ```
 */
export interface FleetMessage {
  /** The kind of message (`k`), e.g. `'halt'`, `'opened'`. */
  readonly kind: string;
  /** The sender's instance id (`i`). */
  readonly instanceId: string;
  /** The payload (`d`): untrusted JSON, validate it before use. `null` when absent. */
  readonly payload: unknown;
}

/** Why the decoder refused a message. */
export type MessageRejection = 'oversized' | 'malformed' | 'foreign-prefix' | 'foreign-version';

/** What {@link decodeMessage} returns. */
export type DecodeResult =
  | { readonly ok: true; readonly message: FleetMessage }
  | { readonly ok: false; readonly reason: MessageRejection; readonly size: number };

const KIND = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
// Printable: no C0/C1 control characters, no lone surrogates (they cannot round-trip UTF-8).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ENVELOPE_KEYS = new Set(['bw', 'v', 'k', 'i', 'd']);

/** @internal True for a valid message kind. */
export function isMessageKind(kind: unknown): kind is string {
  return typeof kind === 'string' && KIND.test(kind);
}

/** @internal True for a valid instance id. */
export function isInstanceId(id: unknown): id is string {
  return typeof id === 'string' && id.length >= 1 && id.length <= 128 && !CONTROL.test(id);
}

/** UTF-8 length of `s`, counted without allocating. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}
let utf8: TextDecoderLike | undefined;

function decodeBytes(bytes: Uint8Array): string | undefined {
  try {
    if (utf8 === undefined) {
      const TD = (globalThis as { TextDecoder?: new (label: string, options: { fatal: boolean }) => TextDecoderLike }).TextDecoder;
      if (TD === undefined) return undefined;
      utf8 = new TD('utf-8', { fatal: true });
    }
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Encodes a message of `kind` with `payload` from `instanceId` under `prefix`.
 *
 * @throws TypeError when `kind` or `instanceId` breaks the envelope's rules, or the payload
 * is not JSON-serialisable (a programming error of the sender, never of a receiver).
 *
 * @example
 * ```ts
 * encodeMessage('breakwater', 'halt', 'ops-console', { reason: 'game day over' });
 * // '{"bw":"breakwater","v":1,"k":"halt","i":"ops-console","d":{"reason":"game day over"}}'
 * ```
 */
export function encodeMessage(prefix: string, kind: string, instanceId: string, payload: unknown): string {
  if (!isMessageKind(kind)) throw new TypeError(`Expected a message kind of 1–64 characters [A-Za-z0-9._:-], got ${JSON.stringify(kind)}`);
  if (!isInstanceId(instanceId)) throw new TypeError(`Expected an instance id of 1–128 printable characters, got ${JSON.stringify(instanceId)}`);
  const d = JSON.stringify(payload === undefined ? null : payload);
  if (d === undefined) throw new TypeError('Expected a JSON-serialisable payload');
  return `{"bw":${JSON.stringify(prefix)},"v":${MESSAGE_VERSION},"k":${JSON.stringify(kind)},"i":${JSON.stringify(instanceId)},"d":${d}}`;
}

/**
 * Decodes one message from Redis: a string or UTF-8 bytes. Never throws; accepts only a
 * well-formed envelope of `prefix` and {@link MESSAGE_VERSION} of at most `maxBytes` bytes.
 *
 * @param maxBytes - largest accepted message (UTF-8 bytes). @defaultValue `65536`
 *
 * @example
 * ```ts
 * const r = decodeMessage(raw, 'breakwater');
 * if (r.ok) handle(r.message); else log.debug(`ignored a ${r.reason} message`);
 * ```
 */
export function decodeMessage(raw: unknown, prefix: string, maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES): DecodeResult {
  let text: string | undefined;
  let size: number;
  if (typeof raw === 'string') {
    // Each UTF-16 unit is 1–3 bytes: count exactly only when the length alone cannot tell.
    if (raw.length > maxBytes) return { ok: false, reason: 'oversized', size: raw.length };
    size = raw.length * 3 <= maxBytes ? raw.length : utf8Length(raw);
    if (size > maxBytes) return { ok: false, reason: 'oversized', size };
    text = raw;
  } else if (raw instanceof Uint8Array) {
    size = raw.byteLength;
    if (size > maxBytes) return { ok: false, reason: 'oversized', size };
    text = decodeBytes(raw);
    if (text === undefined) return { ok: false, reason: 'malformed', size };
  } else {
    return { ok: false, reason: 'malformed', size: 0 };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'malformed', size };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'malformed', size };
  const o = value as Record<string, unknown>;
  const bw = o['bw'];
  const v = o['v'];
  if (typeof bw !== 'string' || typeof v !== 'number') return { ok: false, reason: 'malformed', size };
  if (bw !== prefix) return { ok: false, reason: 'foreign-prefix', size };
  if (v !== MESSAGE_VERSION) return { ok: false, reason: 'foreign-version', size };
  for (const key of Object.keys(o)) if (!ENVELOPE_KEYS.has(key)) return { ok: false, reason: 'malformed', size };
  const kind = o['k'];
  const instanceId = o['i'];
  if (!isMessageKind(kind) || !isInstanceId(instanceId) || !Object.prototype.hasOwnProperty.call(o, 'd')) {
    return { ok: false, reason: 'malformed', size };
  }
  return { ok: true, message: { kind, instanceId, payload: o['d'] } };
}
