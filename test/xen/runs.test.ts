// Xen encode and decode by runs of pages (issue 16): the run writer (encodeChunks over
// page runs) against the per-pfn path (save's records through encode's record bodies) and
// a flat model of the batching; a 1 TiB guest encoded through the CLI in bounded memory;
// a stream of a million empty records decoded whole, with memory checked, not time.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as arb from '../../src/arbitraries/xen.js'
import { encode, encodeChunks, type StreamPlan } from '../../src/xen/encode.js'
import { decode } from '../../src/xen/decode.js'
import { plan, save } from '../../src/xen/migrate.js'
import * as pageRuns from '../../src/xen/page-runs.js'
import { run } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'

const get = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(`unexpected Left: ${e.left.message}`)
  return e.right
}

const concat = (chunks: Iterable<Uint8Array>): Uint8Array => {
  const all = [...chunks]
  const out = new Uint8Array(all.reduce((n, c) => n + c.length, 0))
  let o = 0
  for (const c of all) {
    out.set(c, o)
    o += c.length
  }
  return out
}

/** Runs as the pfns they stand for, one by one. */
const flat = (runs: ReadonlyArray<pageRuns.PfnRun>): bigint[] =>
  runs.flatMap((r) => Array.from({ length: Number(r.count) }, (_, k) => r.pfn + BigInt(k)))

const runsArb = fc.array(
  fc.record({
    pfn: fc.oneof(fc.bigInt({ min: 0n, max: 64n }), fc.bigInt({ min: 0n, max: (1n << 52n) - 64n })),
    count: fc.bigInt({ min: 0n, max: 40n }),
  }),
  { maxLength: 6 },
)

const HDR = {
  image: { version: 3, bigEndian: false },
  domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 21 },
} as const

describe('page runs', () => {
  test.prop([runsArb, fc.integer({ min: 1, max: 50 })], { numRuns: 1000 })(
    'records batch the pfn sequence, across runs, as a flat chunking does',
    (runs, batch) => {
      const pfns = flat(runs)
      const want: bigint[][] = []
      for (let i = 0; i < pfns.length; i += batch) want.push(pfns.slice(i, i + batch))
      const got = [...pageRuns.records({ _tag: 'PageRuns', runs, batch })]
      expect(got.map((r) => r.pfns.map((p) => p.pfn))).toEqual(want)
      expect(got.every((r) => r.pfns.every((p) => p.type === 0xe) && r.data.length === 0)).toBe(
        true,
      )
      const p: pageRuns.PageRuns = { _tag: 'PageRuns', runs, batch }
      expect(pageRuns.recordCount(p)).toBe(BigInt(want.length))
      expect(pageRuns.byteLength(p)).toBe(BigInt(16 * want.length + 8 * pfns.length))
    },
  )

  test.prop([fc.array(fc.bigInt({ min: 0n, max: 100n }), { maxLength: 60 })])(
    'runsOf keeps the sequence',
    (xs) => {
      const sorted = [...new Set(xs)].sort((a, b) => (a < b ? -1 : 1))
      expect(flat(pageRuns.runsOf(sorted))).toEqual(sorted)
    },
  )

  test.prop([runsArb, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 16, max: 300 })], {
    numRuns: 300,
  })(
    'the run writer writes, chunk by chunk, the bytes of the same records spelled out',
    (runs, batch, chunkSize) => {
      const pr: pageRuns.PageRuns = { _tag: 'PageRuns', runs, batch }
      const p: StreamPlan = {
        ...HDR,
        records: [{ _tag: 'StaticDataEnd' }, pr, pr, { _tag: 'End' }],
      }
      const spelled = encode({
        ...HDR,
        records: [
          { _tag: 'StaticDataEnd' },
          ...pageRuns.records(pr),
          ...pageRuns.records(pr),
          { _tag: 'End' },
        ],
      })
      const chunks = [...get(encodeChunks(p, chunkSize))]
      const size = Math.max(16, Math.floor(chunkSize / 8) * 8)
      expect(chunks.slice(0, -1).every((c) => c.length === size)).toBe(true)
      expect(concat(chunks)).toEqual(get(spelled))
    },
  )

  test.prop([arb.domainArb({ maxRuns: 5, maxRunPages: 12 }), fc.integer({ min: 1, max: 40 })], {
    numRuns: 300,
  })('plan + encodeChunks gives the bytes of save + encode', (d, batch) => {
    for (const views of ['migrate', 'soft'] as const) {
      const want = get(encode(get(save({ views, batch })(d))))
      expect(concat(get(encodeChunks(get(plan({ views, batch })(d)), 64)))).toEqual(want)
    }
  })

  it('errors name the record and pfn the per-pfn path names, before any byte', () => {
    const tooHigh: StreamPlan = {
      ...HDR,
      records: [
        { _tag: 'StaticDataEnd' },
        { _tag: 'PageRuns', runs: [{ pfn: (1n << 52n) - 5n, count: 10n }], batch: 3 },
        { _tag: 'End' },
      ],
    }
    const spelled = encode({
      ...HDR,
      records: [
        { _tag: 'StaticDataEnd' },
        ...pageRuns.records(tooHigh.records[1] as pageRuns.PageRuns),
        { _tag: 'End' },
      ],
    })
    const r = encodeChunks(tooHigh)
    expect(E.isLeft(r) && E.isLeft(spelled) && r.left).toEqual(E.isLeft(spelled) && spelled.left)
    expect(E.isLeft(r) && r.left.message).toBe(
      'at byte 88: record 2: pfn[2] 0x10000000000000 does not fit in 52 bits',
    )
    const noEnd = encodeChunks({
      ...HDR,
      records: [tooHigh.records[0], { _tag: 'PageRuns', runs: [{ pfn: 0n, count: 5n }], batch: 2 }],
    } as StreamPlan)
    expect(E.isLeft(noEnd) && noEnd.left).toMatchObject({
      offset: 40 + 8 + 2 * (16 + 16),
      message: 'at byte 112: the last record must be END',
    })
  })
})

/** An Io over in-memory files that counts what is written instead of keeping it. */
const countingIo = (files: Record<string, string | Uint8Array>) => {
  const out = { bytes: 0, chunks: 0, text: 0, lines: 0, err: '', first: new Uint8Array(0) }
  const io: Io = {
    readFile: (p) => {
      const f = files[p]
      return typeof f === 'string' ? E.right(f) : E.left(`cannot read ${p}`)
    },
    readBytes: (p) => {
      const f = files[p]
      return f instanceof Uint8Array ? E.right(f) : E.left(`cannot read ${p}`)
    },
    stdout: (s) => {
      out.text += s.length
      for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) out.lines++
    },
    stderr: (s) => {
      out.err += s
    },
    stdoutBytes: (b) => {
      if (out.chunks === 0) out.first = b.slice(0, 4096)
      out.bytes += b.length
      out.chunks++
      const mem = process.memoryUsage()
      peak = Math.max(peak, mem.heapUsed + mem.arrayBuffers)
    },
  }
  return { io, out }
}
let peak = 0

describe('xen encode of a 1 TiB guest', () => {
  it('writes 2 GiB of PAGE_DATA in bounded memory (was one bigint per page: killed at 4.5 GB)', () => {
    const pages = 1n << 28n // 1 TiB of 4 KiB pages
    const scenario = {
      host: [{ gfn: '0x0', count: `0x${pages.toString(16)}`, mfn: '0x100000', type: 'ram_rw' }],
    }
    const { io, out } = countingIo({ 's.json': JSON.stringify(scenario) })
    const before = process.memoryUsage()
    peak = 0
    expect(run(['xen', 'encode', 's.json'], io)).toBe(0)
    expect(out.err).toBe('')
    // headers 40, STATIC_DATA_END 8, 2^18 PAGE_DATA of 16 + 8 * 1024 bytes, END 8
    const records = Number(pages / 1024n)
    expect(out.bytes).toBe(40 + 8 + records * (16 + 8 * 1024) + 8)
    expect(out.chunks).toBeGreaterThan(1000)
    const dv = new DataView(out.first.buffer)
    expect([dv.getUint32(48, true), dv.getUint32(52, true), dv.getUint32(56, true)]).toEqual([
      1,
      8 + 8 * 1024,
      1024,
    ])
    expect(dv.getBigUint64(64 + 8 * 5, true)).toBe((0xen << 60n) | 5n)
    // loose: the stream is 2 GiB; a writer that kept it, or one value per page, is far over
    expect(peak - (before.heapUsed + before.arrayBuffers)).toBeLessThan(400 * 2 ** 20)
  }, 120_000)

  it('a run past 52-bit pfns (count 0xffffffffffffffff) is one error line, nothing written', () => {
    const { io, out } = countingIo({
      's.json': JSON.stringify({
        host: [{ gfn: '0x0', count: '0xffffffffffffffff', mfn: '0x0', type: 'ram_rw' }],
      }),
    })
    expect(run(['xen', 'encode', 's.json'], io)).toBe(1)
    expect(out.bytes).toBe(0)
    expect(out.err).toBe(
      // the first pfn past 2^52 - 1 is pfn 2^52, the first of record 1 + 2^52 / 1024
      'ramaddr xen: at byte 36099165763141680: record 4398046511105: pfn[0] 0x10000000000000 does not fit in 52 bits\n',
    )
  })

  it('a stream beyond 2^53 bytes is refused up front, not written for years', () => {
    const { io, out } = countingIo({
      's.json': JSON.stringify({
        host: [{ gfn: '0x0', count: '0x10000000000000', mfn: '0x0', type: 'ram_rw' }],
      }),
    })
    expect(run(['xen', 'encode', 's.json'], io)).toBe(1)
    expect(out.bytes).toBe(0)
    expect(out.err).toMatch(/^ramaddr xen: at byte 0: the stream would be \d+ bytes, beyond 2\^53/)
  })
})

describe('xen decode of a million empty records', () => {
  const N = 1_000_000
  const stream = (): Uint8Array => {
    const b = new Uint8Array(40 + 8 * (N + 1))
    const dv = new DataView(b.buffer)
    dv.setBigUint64(0, 0xffffffffffffffffn, false)
    dv.setUint32(8, 0x58454e46, false)
    dv.setUint32(12, 3, false)
    dv.setUint32(24, 2, true)
    dv.setUint16(28, 12, true)
    for (let i = 0; i < N; i++) dv.setUint32(40 + 8 * i, i % 2 === 0 ? 0x80000123 : 0x10, true)
    return b // the last record is all zeros: END
  }

  it('decodes every record, in modest memory (was 0.8 GB)', () => {
    const bytes = stream()
    const before = process.memoryUsage().heapUsed
    const s = get(decode(bytes))
    const used = process.memoryUsage().heapUsed - before
    expect(s.records.length).toBe(N + 1)
    expect(s.records[0]).toEqual({ _tag: 'Other', type: 0x80000123, body: new Uint8Array(0) })
    expect(s.records[1]).toEqual({ _tag: 'StaticDataEnd' })
    expect(s.records[N]).toEqual({ _tag: 'End' })
    expect(s.records.filter((r) => r._tag === 'Other').length).toBe(N / 2)
    // 8 bytes a reference plus garbage not yet collected; an object per record is ~100 MB
    expect(used).toBeLessThan(90 * 2 ** 20)
  })

  it('the CLI prints one line per record', () => {
    const { io, out } = countingIo({ x: stream() })
    expect(run(['xen', 'decode', 'x'], io)).toBe(0)
    expect(out.err).toBe('')
    expect(out.lines).toBe(2 + N + 1)
    const j = countingIo({ x: stream() })
    expect(run(['xen', 'decode', 'x', '--json'], j.io)).toBe(0)
    expect(j.out.lines).toBe(12 + (5 * N) / 2 + (4 * N) / 2 + 4 + 2)
  }, 60_000)
})
