// The migration-stream decoder under fuzzing: truncated, mutated and random streams never
// throw and never hang; every failure is an error value with a byte offset inside the
// input; a truncated stream is always an error; and the chunking never changes the answer.
// `npm test` runs a few inputs; `npm run fuzz` (FUZZ_RUNS) runs many.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { decoder, decode } from '../../src/migration/stream/decoder.js'
import type { StreamError, StreamEvent } from '../../src/migration/stream/events.js'
import { FIXTURES } from '../helpers.js'
import { readFixture } from '../migration/stream/reader.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 30)
const DIR = join(FIXTURES, 'migration', 'streams')
const STREAMS = ['q72-paused-16m', 'q10-xbzrle-32m', 'q72-xbzrle-32m'].map((n) =>
  readFixture(join(DIR, `${n}.bin.gz`)),
)

/** Decodes `bytes` in chunks of `size`; the result as data (never throws, or the test fails). */
const chunked = (bytes: Uint8Array, size: number): E.Either<StreamError, number> => {
  const d = decoder()
  let events = 0
  const emit = (_: StreamEvent): void => {
    events++
  }
  for (let p = 0; p < bytes.length; p += size) {
    const r = d.push(bytes.subarray(p, p + size), emit)
    if (E.isLeft(r)) return r
  }
  return E.map(() => events)(d.end(emit))
}

const checkError = (bytes: Uint8Array, r: E.Either<StreamError, unknown>): void => {
  if (E.isRight(r)) return
  expect(r.left._tag).toBe('StreamError')
  expect(r.left.at).toBeGreaterThanOrEqual(0)
  expect(r.left.at).toBeLessThanOrEqual(bytes.length)
  expect(r.left.message).toMatch(/^at byte \d+ \(0x[0-9a-f]+\): expected .+, found /)
}

const stream = fc.constantFrom(...STREAMS)

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** A stream changed the ways a damaged file or link changes it. */
const mutated: fc.Arbitrary<{ bytes: Uint8Array; truncated: boolean }> = stream.chain((s) =>
  fc.oneof(
    fc.nat({ max: s.length - 1 }).map((n) => ({ bytes: s.subarray(0, n), truncated: true })),
    fc
      .array(fc.tuple(fc.nat({ max: s.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((flips) => {
        const b = s.slice()
        for (const [i, v] of flips) b[i] = v
        return { bytes: b, truncated: false }
      }),
    fc.tuple(fc.nat({ max: s.length - 1 }), fc.integer({ min: 1, max: 64 })).map(([i, n]) => ({
      bytes: concat(s.subarray(0, i), s.subarray(i + n)),
      truncated: false,
    })),
    fc
      .tuple(fc.nat({ max: s.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([i, ins]) => ({
        bytes: concat(s.subarray(0, i), ins, s.subarray(i)),
        truncated: false,
      })),
  ),
)

describe('migration stream decoder under fuzzing', () => {
  it('a section idstr holding a line break and control bytes stays one line in the error (found by this fuzzer at 21,256 inputs: "timer" mutated to hold a newline, the stream cut before its footer)', () => {
    const s = STREAMS[0]!
    const name = new TextEncoder().encode('timer')
    let at = -1
    // the section record: QEMU_VM_SECTION_FULL (4), a 4-byte id, the idstr's length, the idstr
    for (let i = 6; i + name.length <= s.length && at < 0; i++)
      if (s[i - 6] === 4 && s[i - 1] === name.length && name.every((b, k) => s[i + k] === b)) at = i
    expect(at).toBeGreaterThan(0)
    const bytes = s.slice(0, at + 40)
    bytes[at + 1] = 0x0a
    bytes[at + 2] = 0x85
    const r = decode(bytes)
    expect(E.isLeft(r)).toBe(true)
    checkError(bytes, r)
    if (E.isLeft(r)) {
      const codes = [...r.left.message].map((c) => c.charCodeAt(0))
      expect(codes.filter((c) => c < 0x20 || (c >= 0x7f && c <= 0x9f))).toEqual([])
      expect(r.left.message).toContain('t\\x0a\\x85er')
    }
  })

  it('truncated and mutated streams: an error value with an offset, the same in any chunking', () => {
    fc.assert(
      fc.property(mutated, fc.integer({ min: 1, max: 70000 }), ({ bytes, truncated }, size) => {
        const whole = decode(bytes)
        checkError(bytes, whole)
        if (truncated) expect(E.isLeft(whole)).toBe(true)
        const parts = chunked(bytes, size)
        expect(E.isLeft(parts)).toBe(E.isLeft(whole))
        if (E.isLeft(parts) && E.isLeft(whole)) expect(parts.left).toEqual(whole.left)
      }),
      { numRuns: RUNS },
    )
  })

  it('random bytes, with or without a valid header: an error value with an offset', () => {
    const header = new Uint8Array([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3])
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 20000 }), (withHeader, body) => {
        const bytes = withHeader ? concat(header, body) : body
        const r = decode(bytes)
        checkError(bytes, r)
        expect(chunked(bytes, 7)).toEqual(E.map((es: ReadonlyArray<StreamEvent>) => es.length)(r))
      }),
      { numRuns: RUNS * 4 },
    )
  })

  it('a RAM section of random records after a valid block list: never throws', () => {
    const prefix = STREAMS[0] as Uint8Array
    // the header, configuration and the RAM section's start up to its block list's EOS
    const start = prefix.subarray(0, 200)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (body) => {
        const bytes = concat(start, body)
        checkError(bytes, decode(bytes))
      }),
      { numRuns: RUNS * 4 },
    )
  })

  it('an invalid page size option is an error, not a throw', () => {
    const r = decoder({ targetPageSize: 3000 }).push(STREAMS[0] as Uint8Array, () => {})
    expect(E.isLeft(r) && r.left.at).toBe(0)
  })
})
