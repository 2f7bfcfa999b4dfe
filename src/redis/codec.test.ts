import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_BYTES, MESSAGE_VERSION, decodeMessage, encodeMessage } from './codec';

const PREFIX = 'breakwater';

/** An independent statement of the envelope's rules (not the decoder's code). */
function wellFormed(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.join(',') !== 'bw,d,i,k,v') return false;
  const k = o['k'];
  const i = o['i'];
  if (o['bw'] !== PREFIX || o['v'] !== MESSAGE_VERSION) return false;
  if (typeof k !== 'string' || k.length < 1 || k.length > 64) return false;
  for (const ch of k) if (!/[A-Za-z0-9._:-]/.test(ch)) return false;
  if (!/[A-Za-z0-9]/.test(k[0] as string)) return false;
  if (typeof i !== 'string' || i.length < 1 || i.length > 128) return false;
  for (let n = 0; n < i.length; n++) {
    const c = i.charCodeAt(n);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i.charCodeAt(n + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      n++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

const kindArb = fc.oneof(fc.constantFrom('halt', 'opened', 'x.y:z-1', 'a'), fc.string({ maxLength: 70 }));
const idArb = fc.oneof(fc.constantFrom('game-1', 'ops', 'pod/7'), fc.string({ maxLength: 140 }), fc.string({ unit: 'binary', maxLength: 20 }));
const messy = fc.record(
  {
    bw: fc.oneof(fc.constant(PREFIX), fc.constant('other'), fc.anything()),
    v: fc.oneof(fc.constant(1), fc.constant(2), fc.anything()),
    k: fc.oneof(kindArb, fc.anything()),
    i: fc.oneof(idArb, fc.anything()),
    d: fc.jsonValue(),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
/** Mostly right envelopes whose kind and id are arbitrary strings. */
const nearlyRight = fc.record({ bw: fc.constant(PREFIX), v: fc.constant(1), k: kindArb, i: idArb, d: fc.jsonValue() });
const envelopeLike = fc.oneof(messy, nearlyRight);

describe('decodeMessage (untrusted bytes from Redis)', () => {
  it('round-trips what encodeMessage writes', () => {
    const raw = encodeMessage(PREFIX, 'halt', 'ops-console', { reason: 'game day over', n: [1, 2] });
    expect(decodeMessage(raw, PREFIX)).toEqual({ ok: true, message: { kind: 'halt', instanceId: 'ops-console', payload: { reason: 'game day over', n: [1, 2] } } });
    expect(decodeMessage(new TextEncoder().encode(raw), PREFIX).ok).toBe(true);
  });

  it('names each refusal', () => {
    const good = JSON.parse(encodeMessage(PREFIX, 'halt', 'a', null)) as Record<string, unknown>;
    expect(decodeMessage('{', PREFIX)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage(42, PREFIX)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage(JSON.stringify({ ...good, bw: 'other' }), PREFIX)).toMatchObject({ ok: false, reason: 'foreign-prefix' });
    expect(decodeMessage(JSON.stringify({ ...good, v: 2 }), PREFIX)).toMatchObject({ ok: false, reason: 'foreign-version' });
    expect(decodeMessage(JSON.stringify({ ...good, x: 1 }), PREFIX)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage('"' + 'x'.repeat(DEFAULT_MAX_MESSAGE_BYTES) + '"', PREFIX)).toMatchObject({ ok: false, reason: 'oversized' });
    // 30 000 three-byte characters: under the limit in UTF-16 units, over it in UTF-8 bytes.
    expect(decodeMessage(encodeMessage(PREFIX, 'k', 'a', '€'.repeat(30_000)), PREFIX, 65_536)).toMatchObject({ ok: false, reason: 'oversized' });
    expect(decodeMessage(new Uint8Array([0x7b, 0xff, 0x7d]), PREFIX)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage('[' .repeat(10_000), PREFIX)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('never throws on arbitrary strings, bytes or values, and accepts nothing malformed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.uint8Array(), fc.anything()), (raw) => {
        const r = decodeMessage(raw, PREFIX);
        if (r.ok) {
          expect(typeof raw === 'string' || raw instanceof Uint8Array).toBe(true);
          const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
          expect(wellFormed(JSON.parse(text))).toBe(true);
        }
      }),
      { numRuns: 2_000, seed: 18 },
    );
  });

  it('accepts an envelope-like JSON object exactly when it is well-formed', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(envelopeLike, fc.integer({ min: 64, max: 4_096 }), (obj, max) => {
        let text: string;
        try {
          text = JSON.stringify(obj);
        } catch {
          return; // not JSON (e.g. a BigInt from fc.anything)
        }
        if (text === undefined) return;
        const parsed: unknown = JSON.parse(text);
        const bytes = new TextEncoder().encode(text).byteLength;
        const r = decodeMessage(text, PREFIX, max);
        expect(r.ok).toBe(wellFormed(parsed) && bytes <= max);
        if (r.ok) accepted++;
        else refused++;
        if (r.ok) {
          const p = parsed as Record<string, unknown>;
          expect(r.message).toEqual({ kind: p['k'], instanceId: p['i'], payload: p['d'] });
        } else if (bytes > max) expect(r.reason).toBe('oversized');
      }),
      { numRuns: 3_000, seed: 7 },
    );
    // The generator reaches both sides of the rule.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(1_000);
  });

  it('encodeMessage refuses what the decoder would refuse', () => {
    expect(() => encodeMessage(PREFIX, '', 'a', null)).toThrow(TypeError);
    expect(() => encodeMessage(PREFIX, 'ok', 'bad\nid', null)).toThrow(TypeError);
    expect(() => encodeMessage(PREFIX, 'ok', 'a', 10n)).toThrow(TypeError);
  });
});
