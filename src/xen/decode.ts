/**
 * Decoding a migration stream from bytes. Checks what Xen's restore checks
 * (`read_headers` and `read_record` in tools/libs/guest/xg_sr_restore.c, the PAGE_DATA
 * checks of `handle_page_data`) plus the bodies of this project's records; every failure
 * is a {@link StreamError} with the byte offset of what was wrong. Nothing here throws, on
 * any input: garbage and truncated streams come back as errors.
 *
 * Accepts versions 2 and 3 and either byte order (the image header's options bit 0);
 * requires `page_shift` 12 (x86 4 KiB pages), the END record last and nothing after it.
 * Padding and reserved fields are ignored, as the spec says. Other records are kept as
 * `Other` with their raw body; whether an unknown one is acceptable is the restorer's
 * call (mandatory: fail; optional: ignore).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gfn } from '../addresses/kinds.js'
import { fromCode as accessFromCode, type Access } from './access.js'
import { hx, streamError, type StreamError } from './errors.js'
import type { AccessDiff, NormalisedView, Remap } from './normalise.js'
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
  type DomainHeader,
  type ImageHeader,
  type PfnEntry,
  type Stream,
  type StreamRecord,
} from './stream.js'

type R<A> = E.Either<StreamError, A>
const fail = (offset: number, message: string): R<never> => E.left(streamError(offset, message))

const PFN_MASK = (1n << 52n) - 1n
const EMPTY = new Uint8Array(0)
const STATIC_DATA_END: StreamRecord = { _tag: 'StaticDataEnd' }

/**
 * An empty record of type `type`: records are immutable values, so the empty ones of a
 * type are one shared value (a stream of a million empty records is a million references,
 * not a million objects and ArrayBuffers). The memo holds at most 256 types.
 */
const emptyOthers = new Map<number, StreamRecord>()
const emptyOther = (type: number): StreamRecord => {
  const hit = emptyOthers.get(type)
  if (hit !== undefined) return hit
  const r: StreamRecord = { _tag: 'Other', type, body: EMPTY }
  if (emptyOthers.size < 256) emptyOthers.set(type, r)
  return r
}

/** Little- or big-endian reads over a byte array; callers check bounds first. */
interface Reader {
  readonly u8: (o: number) => number
  readonly u16: (o: number) => number
  readonly u32: (o: number) => number
  readonly u64: (o: number) => bigint
}

const reader = (bytes: Uint8Array, little: boolean): Reader => {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    u8: (o) => dv.getUint8(o),
    u16: (o) => dv.getUint16(o, little),
    u32: (o) => dv.getUint32(o, little),
    u64: (o) => dv.getBigUint64(o, little),
  }
}

const decodeAccess = (rd: Reader, o: number): R<Access> => {
  const n = rd.u8(o)
  const a = accessFromCode(n)
  return O.isSome(a) ? E.right(a.value) : fail(o, `access ${n} is not a p2m_access_t (0..10)`)
}

const pageData = (
  rd: Reader,
  start: number,
  len: number,
  bytes: Uint8Array,
  pageSize: number,
): R<StreamRecord> => {
  if (len < 8)
    return fail(start, `PAGE_DATA body of ${len} bytes is shorter than its 8-byte header`)
  const count = rd.u32(start)
  if (count === 0) return fail(start, 'PAGE_DATA count is 0 (must be > 0)')
  if (8 + 8 * count > len)
    return fail(
      start,
      `PAGE_DATA count ${count} needs ${8 + 8 * count} bytes of pfns, body has ${len}`,
    )
  const pfns: PfnEntry[] = []
  let withData = 0
  for (let i = 0; i < count; i++) {
    const o = start + 8 + 8 * i
    const raw = rd.u64(o)
    const type = Number(raw >> 60n)
    if (!isPfinfo(type)) return fail(o, `pfn[${i}] has unrecognised page type ${hx(type)}`)
    if (carriesData(type)) withData++
    pfns.push({ pfn: raw & PFN_MASK, type })
  }
  const want = 8 + 8 * count + withData * pageSize
  if (len !== want)
    return fail(
      start,
      `PAGE_DATA body is ${len} bytes; ${count} pfns with ${withData} data pages need ${want}`,
    )
  const d0 = start + 8 + 8 * count
  return E.right({ _tag: 'PageData', pfns, data: bytes.slice(d0, d0 + withData * pageSize) })
}

const altp2mView = (rd: Reader, start: number, len: number): R<StreamRecord> => {
  if (len < 16)
    return fail(start, `ALTP2M_VIEW body of ${len} bytes is shorter than its 16-byte header`)
  const index = rd.u16(start)
  if (index === 0) return fail(start, 'ALTP2M_VIEW for view 0, which is the host p2m')
  const def = decodeAccess(rd, start + 2)
  if (E.isLeft(def)) return def
  const nr = rd.u32(start + 4)
  const na = rd.u32(start + 8)
  const ns = rd.u32(start + 12)
  const want = 16 + 16 * nr + 16 * na + 8 * ns
  if (len !== want)
    return fail(
      start,
      `ALTP2M_VIEW body is ${len} bytes; ${nr} remaps, ${na} access and ${ns} #VE entries need ${want}`,
    )
  let o = start + 16
  const remaps: Remap[] = []
  let prev = -1n
  for (let i = 0; i < nr; i++, o += 16) {
    const gfn = rd.u64(o)
    const target = rd.u64(o + 8)
    if (gfn <= prev) return fail(o, `remap[${i}] gfn ${hx(gfn)} is not above the one before`)
    if (target === gfn) return fail(o, `remap[${i}] maps gfn ${hx(gfn)} to itself`)
    prev = gfn
    remaps.push({ gfn: Gfn.unsafe(gfn), target: Gfn.unsafe(target) })
  }
  const access: AccessDiff[] = []
  prev = -1n
  for (let i = 0; i < na; i++, o += 16) {
    const gfn = rd.u64(o)
    if (gfn <= prev) return fail(o, `access[${i}] gfn ${hx(gfn)} is not above the one before`)
    prev = gfn
    const a = decodeAccess(rd, o + 8)
    if (E.isLeft(a)) return a
    access.push({ gfn: Gfn.unsafe(gfn), access: a.right })
  }
  const sve: Gfn[] = []
  prev = -1n
  for (let i = 0; i < ns; i++, o += 8) {
    const gfn = rd.u64(o)
    if (gfn <= prev)
      return fail(o, `suppressVeClear[${i}] gfn ${hx(gfn)} is not above the one before`)
    prev = gfn
    sve.push(Gfn.unsafe(gfn))
  }
  const view: NormalisedView = {
    index,
    defaultAccess: def.right,
    remaps,
    access,
    suppressVeClear: sve,
  }
  return E.right({ _tag: 'Altp2mView', view })
}

const altp2mDropped = (rd: Reader, start: number, len: number): R<StreamRecord> => {
  if (len < 8)
    return fail(start, `ALTP2M_DROPPED body of ${len} bytes is shorter than its 8-byte header`)
  const n = rd.u16(start)
  if (len !== 8 + 2 * n)
    return fail(start, `ALTP2M_DROPPED body is ${len} bytes; ${n} views need ${8 + 2 * n}`)
  const views: number[] = []
  for (let i = 0; i < n; i++) {
    const v = rd.u16(start + 8 + 2 * i)
    if (v === 0)
      return fail(start + 8 + 2 * i, 'ALTP2M_DROPPED lists view 0, which is the host p2m')
    views.push(v)
  }
  return E.right({ _tag: 'Altp2mDropped', views, notify: (rd.u8(start + 2) & 1) === 1 })
}

/** The image and domain headers. */
const headers = (
  bytes: Uint8Array,
): R<{ image: ImageHeader; domain: DomainHeader; rd: Reader }> => {
  const n = bytes.length
  if (n < IMAGE_HEADER_SIZE)
    return fail(n, `truncated image header: ${n} of ${IMAGE_HEADER_SIZE} bytes`)
  const be = reader(bytes, false)
  if (be.u64(0) !== MARKER)
    return fail(0, 'marker is not 0xffffffffffffffff (not a v2+ stream; a legacy image?)')
  if (be.u32(8) !== IMAGE_ID) return fail(8, `id ${hx(be.u32(8))} is not 0x58454e46 ("XENF")`)
  const version = be.u32(12)
  if (version !== 2 && version !== 3) return fail(12, `version ${version} is not 2 or 3`)
  const bigEndian = (be.u16(16) & 1) === 1
  const rd = reader(bytes, !bigEndian)
  const end = IMAGE_HEADER_SIZE + DOMAIN_HEADER_SIZE
  if (n < end)
    return fail(
      n,
      `truncated domain header: ${n - IMAGE_HEADER_SIZE} of ${DOMAIN_HEADER_SIZE} bytes`,
    )
  const type = rd.u32(24)
  if (type !== 1 && type !== 2)
    return fail(24, `domain type ${type} is not 1 (x86 PV) or 2 (x86 HVM)`)
  const pageShift = rd.u16(28)
  if (pageShift !== 12) return fail(28, `page_shift ${pageShift} is not 12 (x86 4 KiB pages)`)
  return E.right({
    image: { version, bigEndian },
    domain: { type, pageShift, xenMajor: rd.u32(32), xenMinor: rd.u32(36) },
    rd,
  })
}

/**
 * The stream in `bytes`, or the first thing wrong with it and where.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const bytes = xen.encode({
 *   image: { version: 3, bigEndian: false },
 *   domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 21 },
 *   records: [{ _tag: 'PageData', pfns: [{ pfn: 0x10n, type: 0xe }], data: new Uint8Array(0) }, { _tag: 'End' }],
 * })
 * assert.ok(either.isRight(bytes))
 * const s = xen.decode(bytes.right)
 * assert.ok(either.isRight(s))
 * assert.deepEqual(s.right.records[0].pfns, [{ pfn: 0x10n, type: 0xe }])
 * const cut = xen.decode(bytes.right.subarray(0, 50))
 * assert.ok(either.isLeft(cut))
 * assert.equal(cut.left.offset, 40) // the PAGE_DATA record that does not fit
 */
export const decode = (bytes: Uint8Array): E.Either<StreamError, Stream> => {
  const h = headers(bytes)
  if (E.isLeft(h)) return h
  const { image, domain, rd } = h.right
  const pageSize = 2 ** domain.pageShift
  const records: StreamRecord[] = []
  let o = IMAGE_HEADER_SIZE + DOMAIN_HEADER_SIZE
  for (;;) {
    if (o === bytes.length) return fail(o, 'the stream ends without an END record')
    if (o + 8 > bytes.length)
      return fail(o, `truncated record header: ${bytes.length - o} of 8 bytes`)
    const type = rd.u32(o)
    const len = rd.u32(o + 4)
    const padded = len + ((8 - (len % 8)) % 8)
    if (o + 8 + padded > bytes.length)
      return fail(
        o,
        `record type ${hx(type)} with a ${len}-byte body runs past the end of the stream (${bytes.length - o - 8} bytes left)`,
      )
    const start = o + 8
    let rec: R<StreamRecord>
    switch (type) {
      case REC_TYPE.END:
        rec =
          len === 0
            ? E.right({ _tag: 'End' })
            : fail(o, `END has a ${len}-byte body (must be empty)`)
        break
      case REC_TYPE.STATIC_DATA_END:
        rec =
          len === 0
            ? E.right(STATIC_DATA_END)
            : fail(o, `STATIC_DATA_END has a ${len}-byte body (must be empty)`)
        break
      case REC_TYPE.PAGE_DATA:
        rec = pageData(rd, start, len, bytes, pageSize)
        break
      case ALTP2M_VIEW:
        rec = altp2mView(rd, start, len)
        break
      case ALTP2M_DROPPED:
        rec = altp2mDropped(rd, start, len)
        break
      default:
        rec = E.right(
          len === 0
            ? emptyOther(type)
            : { _tag: 'Other', type, body: bytes.slice(start, start + len) },
        )
    }
    if (E.isLeft(rec)) return rec
    records.push(rec.right)
    o = start + padded
    if (rec.right._tag === 'End') {
      if (o !== bytes.length) return fail(o, `${bytes.length - o} bytes after the END record`)
      return E.right({ image, domain, records })
    }
  }
}
