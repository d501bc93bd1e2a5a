// The Xen codecs under fuzzing: decode on random bytes and on mutations of real streams
// (truncated, flipped, spliced), encode and encodeChunks on hostile stream values (huge
// and negative numbers, NaN, wrong shapes, runs past 52 bits), the scenario decoder on
// bigints, cycles and deep nesting, and scenarios built, planned and restored. Each input
// must come back as an Either whose error is one bounded line, within a time bound; a
// throw, a multi-line error or a slow input fails. `npm test` runs a few inputs per
// target; `npm run fuzz` (FUZZ_RUNS) runs many.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decode } from '../../src/xen/decode.js'
import { encode, encodeChunks, type StreamPlan } from '../../src/xen/encode.js'
import { plan, restore, save } from '../../src/xen/migrate.js'
import { build, decodeScenario } from '../../src/xen/scenario.js'
import * as pageRuns from '../../src/xen/page-runs.js'
import type { Stream } from '../../src/xen/stream.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 25)
/** FUZZ_TIME_LIMIT_S: stop each target after this many seconds (a long run that must end). */
const LIMIT = process.env.FUZZ_TIME_LIMIT_S
const options = {
  numRuns: RUNS,
  ...(LIMIT === undefined
    ? {}
    : { interruptAfterTimeLimit: Number(LIMIT) * 1000, markInterruptAsFailure: false }),
}
/** Inputs run per target, printed at the end (the counts a long run reports). */
let count = 0
const counted =
  <T extends unknown[]>(f: (...xs: T) => void) =>
  (...xs: T): void => {
    count++
    f(...xs)
  }
const report = (name: string, t0: number): void => {
  console.log(`fuzz ${name}: ${count} inputs in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  count = 0
}
/** Milliseconds one input may take (generous: a loaded 2-core machine). */
const BOUND = Number(process.env.FUZZ_BOUND_MS ?? 2000)

const isEither = (r: unknown): r is E.Either<{ message: string }, unknown> =>
  typeof r === 'object' && r !== null && ['Left', 'Right'].includes((r as { _tag: string })._tag)

/** `f()` returns an Either, its error is one line of at most 1,000 characters, in time. */
const contract = <A>(f: () => A): A => {
  const t0 = performance.now()
  const r = f()
  const ms = performance.now() - t0
  expect(ms, 'one input took too long').toBeLessThan(BOUND)
  expect(isEither(r)).toBe(true)
  if (isEither(r) && E.isLeft(r)) {
    expect(typeof r.left.message).toBe('string')
    expect(r.left.message).not.toMatch(/\n/)
    expect(r.left.message.length).toBeLessThanOrEqual(1000)
  }
  return r
}

const HDR = {
  image: { version: 3, bigEndian: false },
  domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 21 },
} as const

const seedStream = {
  ...HDR,
  records: [
    { _tag: 'StaticDataEnd' },
    {
      _tag: 'PageData',
      pfns: [
        { pfn: 1n, type: 0 },
        { pfn: 2n, type: 0xe },
        { pfn: 3n, type: 0xf },
      ],
      data: new Uint8Array(4096).fill(7),
    },
    {
      _tag: 'Altp2mView',
      view: {
        index: 1,
        defaultAccess: 'rwx',
        remaps: [{ gfn: 2n, target: 3n }],
        access: [{ gfn: 1n, access: 'rx' }],
        suppressVeClear: [5n],
      },
    },
    { _tag: 'Altp2mDropped', views: [1, 2], notify: true },
    { _tag: 'Other', type: 0x80000123, body: new Uint8Array([1, 2, 3]) },
    { _tag: 'Other', type: 0x8, body: new Uint8Array(0) },
    { _tag: 'End' },
  ],
} as unknown as Stream
const seed = (() => {
  const b = encode(seedStream)
  if (E.isLeft(b)) throw new Error(b.left.message)
  return b.right
})()

/** Bytes a fuzzer makes of a stream: cut, flipped, spliced, repeated, or random. */
const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.nat({ max: seed.length }).map((n) => seed.slice(0, n)),
  fc
    .array(fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    })
    .map((flips) => {
      const b = seed.slice()
      for (const [i, v] of flips) b[i] = v
      return b
    }),
  fc
    .tuple(fc.nat({ max: seed.length }), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([i, ins]) => {
      const b = new Uint8Array(seed.length + ins.length)
      b.set(seed.subarray(0, i))
      b.set(ins, i)
      b.set(seed.subarray(i), i + ins.length)
      return b
    }),
  // a record header claiming a huge or odd body
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.nat(), fc.nat()).map(([r, type, len]) => {
    const b = seed.slice()
    const offs = [40, 48, 56 + 8 + 8 * 3 + 4096, 0, 0, 0, 0]
    const o = offs[r] ?? 40
    const dv = new DataView(b.buffer)
    if (o + 8 <= b.length) {
      dv.setUint32(o, type, true)
      dv.setUint32(o + 4, len, true)
    }
    return b
  }),
  fc.uint8Array({ maxLength: 300 }),
  // a valid header, then random records
  fc.uint8Array({ maxLength: 200 }).map((tail) => {
    const b = new Uint8Array(40 + tail.length)
    b.set(seed.subarray(0, 40))
    b.set(tail, 40)
    return b
  }),
)

const big = fc.oneof(
  fc.bigInt({ min: -5n, max: 70n }),
  fc.constantFrom(
    (1n << 52n) - 1n,
    1n << 52n,
    (1n << 64n) - 1n,
    1n << 64n,
    -1n,
    0xffffffffffffffffn,
    1n << 200n,
  ),
  fc.bigInt(),
)
const num = fc.oneof(
  fc.integer({ min: -3, max: 20 }),
  fc.constantFrom(0xffff, 0x10000, 0xffffffff, 2 ** 32, 2 ** 53, NaN, Infinity, -Infinity, 0.5),
)

const recordArb = fc.oneof(
  fc.constant({ _tag: 'End' as const }),
  fc.constant({ _tag: 'StaticDataEnd' as const }),
  fc.record({
    _tag: fc.constant('PageData' as const),
    pfns: fc.array(fc.record({ pfn: big, type: num }), { maxLength: 4 }),
    data: fc.oneof(fc.constant(new Uint8Array(0)), fc.constant(new Uint8Array(4096))),
  }),
  fc.record({
    _tag: fc.constant('Altp2mView' as const),
    view: fc.record({
      index: num,
      defaultAccess: fc.constantFrom('rwx', 'n', 'rx2rw', 'bogus'),
      remaps: fc.array(fc.record({ gfn: big, target: big }), { maxLength: 3 }),
      access: fc.array(fc.record({ gfn: big, access: fc.constantFrom('r', 'w', 'zz') }), {
        maxLength: 3,
      }),
      suppressVeClear: fc.array(big, { maxLength: 3 }),
    }),
  }),
  fc.record({
    _tag: fc.constant('Altp2mDropped' as const),
    views: fc.array(num, { maxLength: 4 }),
    notify: fc.boolean(),
  }),
  fc.record({
    _tag: fc.constant('Other' as const),
    type: num,
    body: fc.uint8Array({ maxLength: 20 }),
  }),
  fc.record({
    _tag: fc.constant('PageRuns' as const),
    runs: fc.array(fc.record({ pfn: big, count: big }), { maxLength: 3 }),
    batch: num,
  }),
)

const planArb = fc.record({
  image: fc.record({ version: num, bigEndian: fc.boolean() }),
  domain: fc.record({ type: num, pageShift: num, xenMajor: num, xenMinor: num }),
  records: fc.array(recordArb, { maxLength: 6 }),
})

/** Values JSON.stringify chokes on: bigints, a cycle, 100,000-deep nesting. */
const hostile = (): unknown[] => {
  const cyclic: Record<string, unknown> = { host: [] }
  cyclic.self = cyclic
  cyclic.views = [{ ops: [cyclic] }]
  let deep: unknown = []
  let deepObject: unknown = {}
  for (let i = 0; i < 100_000; i++) {
    deep = [deep]
    deepObject = { host: deepObject }
  }
  return [
    cyclic,
    deep,
    deepObject,
    { host: [{ gfn: 1n, count: 2n, mfn: 3n, type: 'ram_rw' }] },
    { host: deep },
    { host: [], views: [{ ops: deep }] },
    { host: [], views: [{ ops: [{ op: 'change_gfn', gfn: 5n, newGfn: cyclic }] }] },
  ]
}

const hex = fc.oneof(
  fc.bigInt({ min: 0n, max: 0x40n }).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom('0xffffffffffffffff', '0x10000000000000', '0xfffffffffffff', '0x0', 'zz', ''),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => `0x${n.toString(16)}`),
)
const scenarioArb = fc.record(
  {
    host: fc.array(
      fc.record(
        {
          gfn: hex,
          count: hex,
          mfn: hex,
          type: fc.constantFrom('ram_rw', 'ram_ro', 'mmio_dm', 'invalid', 'x'),
          access: fc.constantFrom('rwx', 'rx', 'n2rwx', 'q'),
          suppressVe: fc.boolean(),
        },
        { requiredKeys: ['gfn', 'count', 'mfn', 'type'] },
      ),
      { maxLength: 4 },
    ),
    nrAltp2m: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constant(1e9)),
    views: fc.array(
      fc.record({
        defaultAccess: fc.constantFrom('rwx', 'default', 'n'),
        ops: fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('set_mem_access'),
              gfn: hex,
              access: fc.constantFrom('r', 'rx'),
            }),
            fc.record({ op: fc.constant('set_suppress_ve'), gfn: hex, suppressVe: fc.boolean() }),
            fc.record({
              op: fc.constant('change_gfn'),
              gfn: hex,
              newGfn: fc.oneof(hex, fc.constant(null)),
              caller: fc.constantFrom('guest', 'tool'),
            }),
          ),
          { maxLength: 4 },
        ),
      }),
      { maxLength: 3 },
    ),
    logDirty: fc.boolean(),
    writes: fc.array(fc.record({ view: fc.integer({ min: 0, max: 4 }), gfn: hex }), {
      maxLength: 3,
    }),
    migration: fc.record({ views: fc.constantFrom('migrate', 'soft'), notify: fc.boolean() }),
  },
  { requiredKeys: ['host'] },
)

/** Drains encodeChunks' output when it is small enough to write in a test. */
const drain = (p: StreamPlan): void => {
  const pages = p.records.reduce(
    (n, r) => (r._tag === 'PageRuns' ? n + pageRuns.pfnCount(r) : n),
    0n,
  )
  const r = contract(() => encodeChunks(p, 64))
  if (E.isRight(r) && pages < 100_000n) for (const c of r.right) expect(c.length).toBeGreaterThan(0)
}

describe('Xen codecs under fuzzing', () => {
  it('decode: any bytes to an Either; what decodes re-encodes to a stream that decodes the same', () => {
    const t0 = performance.now()
    fc.assert(
      fc.property(
        bytesArb,
        counted((b) => {
          const r = contract(() => decode(b))
          if (E.isRight(r) && !r.right.image.bigEndian) {
            const again = contract(() => encode(r.right))
            if (E.isRight(again)) expect(decode(again.right)).toEqual(r)
          }
        }),
      ),
      options,
    )
    report('decode', t0)
  })

  it('encode and encodeChunks: hostile stream values to an Either, never a throw or a hang', () => {
    const t0 = performance.now()
    fc.assert(
      fc.property(
        planArb,
        counted((p) => {
          const plain = p.records.every((r) => r._tag !== 'PageRuns')
          if (plain) contract(() => encode(p as unknown as Stream))
          drain(p as unknown as StreamPlan)
        }),
      ),
      options,
    )
    report('encode', t0)
  })

  it('decodeScenario: anything, bigints, cycles and deep nesting to a one-line Either', () => {
    const t0 = performance.now()
    for (const u of hostile()) contract(() => decodeScenario(u))
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withNullPrototype: true, maxDepth: 4 }),
        counted((u) => {
          contract(() => decodeScenario(u))
          contract(() => decodeScenario({ host: [u], views: [{ ops: [u] }] }))
        }),
      ),
      options,
    )
    report('decodeScenario', t0)
  })

  it('scenarios: decoded, built, planned, saved, encoded and restored without a throw', () => {
    const t0 = performance.now()
    fc.assert(
      fc.property(
        scenarioArb,
        counted((json) => {
          const s = contract(() => decodeScenario(json))
          if (E.isLeft(s)) return
          const b = contract(() => build(s.right))
          if (E.isLeft(b)) return
          const p = contract(() => plan(b.right.options)(b.right.domain))
          if (E.isLeft(p)) return
          drain(p.right)
          const pages = p.right.records.reduce(
            (n, r) => (r._tag === 'PageRuns' ? n + pageRuns.pfnCount(r) : n),
            0n,
          )
          if (pages > 10_000n) return
          const st = contract(() => save(b.right.options)(b.right.domain))
          if (E.isRight(st)) contract(() => restore(b.right.domain.host)(st.right))
        }),
      ),
      options,
    )
    report('scenarios', t0)
  })
})
