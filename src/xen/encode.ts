/**
 * Encoding a {@link Stream} to bytes, little-endian as on x86 (the image header is
 * big-endian, as the spec requires). Record bodies are written as the spec and xg_sr
 * write them (`write_split_record`, tools/libs/guest/xg_sr_common.c): header, body, zero
 * padding to 8 bytes. Fails, saying which record and why, on a record the decoder would
 * reject (an empty PAGE_DATA, a pfn above 52 bits, data of the wrong length, an unsorted
 * view), so what it writes always decodes.
 *
 * {@link encodeChunks} writes a {@link StreamPlan}, whose pages may be given as runs
 * (page-runs.ts): everything is checked before the first byte, then the bytes come in
 * chunks of bounded size, so a 1 TiB guest (2 GiB of PAGE_DATA) is written in a few MiB
 * of memory. {@link encode} is the same writer with one chunk.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { code as accessCode } from './access.js'
import { hx, streamError, type StreamError } from './errors.js'
import { batchOf, pfnCount, recordCount, type PageRuns } from './page-runs.js'
import {
  ALTP2M_DROPPED,
  ALTP2M_VIEW,
  DOMAIN_HEADER_SIZE,
  IMAGE_HEADER_SIZE,
  IMAGE_ID,
  MARKER,
  REC_TYPE,
  carriesData,
  isPfinfo,
  typeOf,
  type DomainHeader,
  type ImageHeader,
  type Stream,
  type StreamRecord,
} from './stream.js'

const PFN_MASK = (1n << 52n) - 1n
const pad8 = (n: number): number => (n + 7) & ~7

/** The body of a record, or why it cannot be written. */
const body = (r: StreamRecord, pageSize: number): E.Either<string, Uint8Array> => {
  switch (r._tag) {
    case 'End':
    case 'StaticDataEnd':
      return E.right(new Uint8Array(0))
    case 'PageData': {
      const c = r.pfns.length
      if (c === 0) return E.left('PAGE_DATA needs at least one pfn (count must be > 0)')
      let n = 0
      for (const [i, p] of r.pfns.entries()) {
        if (p.pfn < 0n || p.pfn > PFN_MASK)
          return E.left(`pfn[${i}] ${hx(p.pfn)} does not fit in 52 bits`)
        if (!isPfinfo(p.type)) return E.left(`pfn[${i}] has unrecognised page type ${p.type}`)
        if (carriesData(p.type)) n++
      }
      if (r.data.length !== n * pageSize)
        return E.left(`PAGE_DATA has ${r.data.length} bytes of data for ${n} pages of ${pageSize}`)
      const out = new Uint8Array(8 + 8 * c + r.data.length)
      const dv = new DataView(out.buffer)
      dv.setUint32(0, c, true)
      for (const [i, p] of r.pfns.entries())
        dv.setBigUint64(8 + 8 * i, (BigInt(p.type) << 60n) | p.pfn, true)
      out.set(r.data, 8 + 8 * c)
      return E.right(out)
    }
    case 'Altp2mView': {
      const v = r.view
      if (!Number.isInteger(v.index) || v.index < 1 || v.index > 0xffff)
        return E.left(`view index ${v.index} is not in [1, 0xffff]`)
      const out = new Uint8Array(
        16 + 16 * v.remaps.length + 16 * v.access.length + 8 * v.suppressVeClear.length,
      )
      const dv = new DataView(out.buffer)
      dv.setUint16(0, v.index, true)
      dv.setUint8(2, accessCode(v.defaultAccess))
      dv.setUint32(4, v.remaps.length, true)
      dv.setUint32(8, v.access.length, true)
      dv.setUint32(12, v.suppressVeClear.length, true)
      let o = 16
      let prev = -1n
      for (const m of v.remaps) {
        if (m.gfn <= prev)
          return E.left(`view ${v.index}: remaps not ascending at gfn ${hx(m.gfn)}`)
        if (m.target === m.gfn)
          return E.left(`view ${v.index}: gfn ${hx(m.gfn)} remapped to itself`)
        prev = m.gfn
        dv.setBigUint64(o, m.gfn, true)
        dv.setBigUint64(o + 8, m.target, true)
        o += 16
      }
      prev = -1n
      for (const a of v.access) {
        if (a.gfn <= prev)
          return E.left(`view ${v.index}: access list not ascending at gfn ${hx(a.gfn)}`)
        prev = a.gfn
        dv.setBigUint64(o, a.gfn, true)
        dv.setUint8(o + 8, accessCode(a.access))
        o += 16
      }
      prev = -1n
      for (const g of v.suppressVeClear) {
        if (g <= prev)
          return E.left(`view ${v.index}: suppress-#VE list not ascending at gfn ${hx(g)}`)
        prev = g
        dv.setBigUint64(o, g, true)
        o += 8
      }
      return E.right(out)
    }
    case 'Altp2mDropped': {
      if (r.views.length > 0xffff) return E.left('too many views')
      const out = new Uint8Array(8 + 2 * r.views.length)
      const dv = new DataView(out.buffer)
      dv.setUint16(0, r.views.length, true)
      dv.setUint8(2, r.notify ? 1 : 0)
      for (const [i, v] of r.views.entries()) {
        if (!Number.isInteger(v) || v < 1 || v > 0xffff)
          return E.left(`view index ${v} is not in [1, 0xffff]`)
        dv.setUint16(8 + 2 * i, v, true)
      }
      return E.right(out)
    }
    case 'Other': {
      const t = r.type
      if (!Number.isInteger(t) || t < 0 || t > 0xffffffff)
        return E.left(`record type ${t} is not a u32`)
      if (
        t === REC_TYPE.END ||
        t === REC_TYPE.PAGE_DATA ||
        t === REC_TYPE.STATIC_DATA_END ||
        t === ALTP2M_VIEW ||
        t === ALTP2M_DROPPED
      )
        return E.left(`record type ${hx(t)} has its own form; not as an opaque record`)
      return E.right(r.body)
    }
  }
}

/** A stream whose pages may be given as runs (page-runs.ts) instead of one value per pfn. */
export interface StreamPlan {
  readonly image: ImageHeader
  readonly domain: DomainHeader
  /** The records in order; a {@link PageRuns} stands for its PAGE_DATA records. */
  readonly records: ReadonlyArray<StreamRecord | PageRuns>
}

/** The chunk size {@link encodeChunks} uses unless told (1 MiB). */
export const CHUNK_SIZE = 1 << 20

/** What the writer writes: a record's type and body, or page runs. */
type Item =
  | { readonly _tag: 'Body'; readonly type: number; readonly body: Uint8Array }
  | {
      readonly _tag: 'Runs'
      readonly runs: ReadonlyArray<{ readonly pfn: number; readonly count: number }>
      readonly batch: number
      readonly pfns: number
    }

const XALLOC_HI = 0xe0000000 // PFINFO XALLOC (0xe) in bits 63-60: the top nibble of the high word
const TWO_32 = 4294967296

/**
 * Checks a plan and lays it out: the items to write and the stream's length. Every error
 * the encoder can report is found here, before any byte is written.
 */
const layout = (plan: StreamPlan): E.Either<StreamError, { items: Item[]; length: number }> => {
  const { image, domain, records } = plan
  if (image.bigEndian)
    return E.left(streamError(20, 'this encoder writes little-endian streams only'))
  if (domain.pageShift < 0 || domain.pageShift > 24 || !Number.isInteger(domain.pageShift))
    return E.left(streamError(28, `page_shift ${domain.pageShift} is not in [0, 24]`))
  const pageSize = 2 ** domain.pageShift
  const counts = records.map((r) => (r._tag === 'PageRuns' ? recordCount(r) : 1n))
  const total = counts.reduce((a, b) => a + b, 0n)
  const items: Item[] = []
  let offset = BigInt(IMAGE_HEADER_SIZE + DOMAIN_HEADER_SIZE)
  let i = 0n
  const at = (o: bigint, m: string): E.Either<StreamError, never> =>
    E.left(streamError(Number(o), m))
  for (const [k, r] of records.entries()) {
    if (r._tag === 'PageRuns') {
      const n = counts[k] ?? 0n
      if (n === 0n) continue
      const b = BigInt(batchOf(r))
      const all = pfnCount(r)
      const first = b < all ? b : all
      if (8n + 8n * first > 0xffffffffn)
        return at(
          offset,
          `record ${i}: a ${8n + 8n * first}-byte body does not fit body_length (u32)`,
        )
      // the first pfn outside [0, 2^52): its place in the sequence gives its record
      let seq = 0n
      for (const run of r.runs) {
        if (run.count <= 0n) continue
        const bad =
          run.pfn < 0n ? run.pfn : run.pfn + run.count - 1n > PFN_MASK ? PFN_MASK + 1n : -1n
        if (bad !== -1n) {
          const s = bad < 0n ? seq : seq + (bad - run.pfn)
          const q = s / b
          const p = bad < 0n ? run.pfn : bad
          return at(
            offset + q * (16n + 8n * b),
            `record ${i + q}: pfn[${s % b}] ${hx(p)} does not fit in 52 bits`,
          )
        }
        seq += run.count
      }
      if (i + n === total)
        return at(offset + (n - 1n) * (16n + 8n * b), 'the last record must be END')
      items.push({
        _tag: 'Runs',
        runs: r.runs.flatMap((x) =>
          x.count > 0n ? [{ pfn: Number(x.pfn), count: Number(x.count) }] : [],
        ),
        batch: Number(b),
        pfns: Number(all),
      })
      i += n
      offset += 16n * n + 8n * all
      continue
    }
    const isEnd = r._tag === 'End'
    if (isEnd !== (i === total - 1n))
      return at(
        offset,
        isEnd ? `END is record ${i} but not the last` : 'the last record must be END',
      )
    const bd = body(r, pageSize)
    if (E.isLeft(bd)) return at(offset, `record ${i}: ${bd.left}`)
    if (bd.right.length > 0xffffffff)
      return at(
        offset,
        `record ${i}: a ${bd.right.length}-byte body does not fit body_length (u32)`,
      )
    items.push({ _tag: 'Body', type: typeOf(r), body: bd.right })
    i++
    offset += BigInt(8 + pad8(bd.right.length))
  }
  if (total === 0n) return at(offset, 'the last record must be END')
  if (offset > BigInt(Number.MAX_SAFE_INTEGER))
    return at(0n, `the stream would be ${offset} bytes, beyond 2^53 (Number.MAX_SAFE_INTEGER)`)
  return E.right({ items, length: Number(offset) })
}

/**
 * Writes the PAGE_DATA entries of pfns `p` .. `p + m - 1` (type XALLOC) at byte `o` of
 * `dv`. A plain function, not inline in the generator: V8 optimises the loop in a
 * generator with its variables held in the generator's context (`o` and `dv` are shared
 * with the chunk-switching closures): a 64 GiB guest encoded in 200-290 ms with the loop
 * inline, 90-160 ms with it here.
 */
const writePfns = (dv: DataView, o: number, p: number, m: number): void => {
  for (let j = 0; j < m; j++, p++, o += 8) {
    const lo = p >>> 0
    dv.setUint32(o, lo, true)
    dv.setUint32(o + 4, XALLOC_HI + (p - lo) / TWO_32, true)
  }
}

/**
 * The writer: fills chunks of `size` bytes (a multiple of 8, at least 16; the last one
 * just long enough) and yields each as it fills. `length` is the stream's length.
 */
function* write(
  plan: StreamPlan,
  items: ReadonlyArray<Item>,
  length: number,
  size: number,
): Generator<Uint8Array, void, undefined> {
  let written = 0
  let cap = Math.min(size, length)
  let buf = new Uint8Array(cap)
  let dv = new DataView(buf.buffer)
  let o = 0
  const next = (): Uint8Array => {
    const full = buf
    written += o
    cap = Math.min(size, length - written)
    buf = new Uint8Array(cap)
    dv = new DataView(buf.buffer)
    o = 0
    return full
  }
  const { image, domain } = plan
  const hdr = new Uint8Array(IMAGE_HEADER_SIZE + DOMAIN_HEADER_SIZE)
  const hv = new DataView(hdr.buffer)
  hv.setBigUint64(0, MARKER, false)
  hv.setUint32(8, IMAGE_ID, false)
  hv.setUint32(12, image.version >>> 0, false)
  hv.setUint16(16, 0, false) // options: little-endian
  hv.setUint32(24, domain.type >>> 0, true)
  hv.setUint16(28, domain.pageShift, true)
  hv.setUint32(32, domain.xenMajor >>> 0, true)
  hv.setUint32(36, domain.xenMinor >>> 0, true)
  /** Copies `bytes` (then zeros to the next multiple of 8), yielding each chunk that fills. */
  function* put(bytes: Uint8Array): Generator<Uint8Array, void, undefined> {
    let from = 0
    while (from < bytes.length && cap > 0) {
      const n = Math.min(bytes.length - from, cap - o)
      buf.set(bytes.subarray(from, from + n), o)
      o += n
      from += n
      if (o === cap) yield next()
    }
    o = pad8(o) // a fresh chunk is zeroed, so padding is already there
    if (o === cap && o > 0) yield next()
  }
  const head = new Uint8Array(8)
  const headView = new DataView(head.buffer)
  yield* put(hdr)
  for (const it of items) {
    if (it._tag === 'Body') {
      headView.setUint32(0, it.type, true)
      headView.setUint32(4, it.body.length, true)
      yield* put(head)
      yield* put(it.body)
      continue
    }
    let left = it.pfns
    let run = 0
    let p = it.runs[0]?.pfn ?? 0
    let end = p + (it.runs[0]?.count ?? 0)
    while (left > 0) {
      const c = Math.min(left, it.batch)
      headView.setUint32(0, REC_TYPE.PAGE_DATA, true)
      headView.setUint32(4, 8 + 8 * c, true)
      yield* put(head)
      headView.setUint32(0, c, true)
      headView.setUint32(4, 0, true)
      yield* put(head)
      let rest = c
      while (rest > 0) {
        const room = (cap - o) / 8
        if (room === 0) return // only if the layout's length was wrong: never spin
        let k = Math.min(rest, room)
        rest -= k
        while (k > 0) {
          if (p === end) {
            run++
            const r = it.runs[run]
            p = r?.pfn ?? 0
            end = p + (r?.count ?? 0)
          }
          const m = Math.min(k, end - p)
          writePfns(dv, o, p, m)
          o += 8 * m
          p += m
          k -= m
        }
        if (o === cap) yield next()
      }
      left -= c
    }
  }
  if (o > 0) yield buf.subarray(0, o) // only if the layout's length was wrong
}

/**
 * The bytes of `plan`, in chunks of `chunkSize` bytes (the last may be shorter), or the
 * first thing wrong with it. Everything is checked before this returns, so the chunks,
 * written in order, are always the whole stream; their concatenation is what
 * {@link encode} returns for the same records with the page runs spelled out.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const plan = {
 *   image: { version: 3, bigEndian: false },
 *   domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 21 },
 *   records: [
 *     { _tag: 'StaticDataEnd' },
 *     { _tag: 'PageRuns', runs: [{ pfn: 0n, count: 1n << 28n }], batch: 1024 }, // 1 TiB of 4 KiB pages
 *     { _tag: 'End' },
 *   ],
 * }
 * const chunks = xen.encodeChunks(plan)
 * assert.ok(either.isRight(chunks))
 * const first = chunks.right[Symbol.iterator]().next().value
 * assert.equal(first.length, xen.CHUNK_SIZE)
 * assert.deepEqual([...first.subarray(48, 56)], [1, 0, 0, 0, 8, 0x20, 0, 0]) // PAGE_DATA, 8 + 8 * 1024 bytes
 */
export const encodeChunks = (
  plan: StreamPlan,
  chunkSize: number = CHUNK_SIZE,
): E.Either<StreamError, Iterable<Uint8Array>> => {
  const size = Number.isFinite(chunkSize) ? Math.max(16, Math.floor(chunkSize / 8) * 8) : CHUNK_SIZE
  return E.map(({ items, length }: { items: Item[]; length: number }) => ({
    [Symbol.iterator]: () => write(plan, items, length, size),
  }))(layout(plan))
}

/**
 * The bytes of `stream`. The last record must be END and no earlier one may be.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const bytes = xen.encode({
 *   image: { version: 3, bigEndian: false },
 *   domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 21 },
 *   records: [{ _tag: 'StaticDataEnd' }, { _tag: 'End' }],
 * })
 * assert.ok(either.isRight(bytes))
 * assert.equal(bytes.right.length, 24 + 16 + 8 + 8) // headers, two empty records
 * assert.deepEqual([...bytes.right.subarray(8, 12)], [0x58, 0x45, 0x4e, 0x46]) // "XENF", big-endian
 * assert.deepEqual([...bytes.right.subarray(40, 48)], [0x10, 0, 0, 0, 0, 0, 0, 0]) // STATIC_DATA_END, length 0
 */
export const encode = (stream: Stream): E.Either<StreamError, Uint8Array> =>
  E.map(({ items, length }: { items: Item[]; length: number }) => {
    // one chunk of exactly the stream's length: no copy
    const [only] = write(stream, items, length, length)
    return only ?? new Uint8Array(0)
  })(layout(stream))
