/**
 * Encoding a {@link Stream} to bytes, little-endian as on x86 (the image header is
 * big-endian, as the spec requires). Record bodies are written as the spec and xg_sr
 * write them (`write_split_record`, tools/libs/guest/xg_sr_common.c): header, body, zero
 * padding to 8 bytes. Fails, saying which record and why, on a record the decoder would
 * reject (an empty PAGE_DATA, a pfn above 52 bits, data of the wrong length, an unsorted
 * view), so what it writes always decodes.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { code as accessCode } from './access.js'
import { hx, streamError, type StreamError } from './errors.js'
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
export const encode = (stream: Stream): E.Either<StreamError, Uint8Array> => {
  const { image, domain, records } = stream
  if (image.bigEndian)
    return E.left(streamError(20, 'this encoder writes little-endian streams only'))
  if (domain.pageShift < 0 || domain.pageShift > 24 || !Number.isInteger(domain.pageShift))
    return E.left(streamError(28, `page_shift ${domain.pageShift} is not in [0, 24]`))
  const pageSize = 2 ** domain.pageShift
  const parts: Uint8Array[] = []
  const hdr = new Uint8Array(IMAGE_HEADER_SIZE + DOMAIN_HEADER_SIZE)
  const dv = new DataView(hdr.buffer)
  dv.setBigUint64(0, MARKER, false)
  dv.setUint32(8, IMAGE_ID, false)
  dv.setUint32(12, image.version >>> 0, false)
  dv.setUint16(16, 0, false) // options: little-endian
  dv.setUint32(24, domain.type >>> 0, true)
  dv.setUint16(28, domain.pageShift, true)
  dv.setUint32(32, domain.xenMajor >>> 0, true)
  dv.setUint32(36, domain.xenMinor >>> 0, true)
  parts.push(hdr)
  let offset = hdr.length
  for (const [i, r] of records.entries()) {
    const isEnd = r._tag === 'End'
    if (isEnd !== (i === records.length - 1))
      return E.left(
        streamError(
          offset,
          isEnd ? `END is record ${i} but not the last` : 'the last record must be END',
        ),
      )
    const b = body(r, pageSize)
    if (E.isLeft(b)) return E.left(streamError(offset, `record ${i}: ${b.left}`))
    if (b.right.length > 0xffffffff)
      return E.left(
        streamError(
          offset,
          `record ${i}: a ${b.right.length}-byte body does not fit body_length (u32)`,
        ),
      )
    const rec = new Uint8Array(8 + pad8(b.right.length))
    const rv = new DataView(rec.buffer)
    rv.setUint32(0, typeOf(r), true)
    rv.setUint32(4, b.right.length, true)
    rec.set(b.right, 8)
    parts.push(rec)
    offset += rec.length
  }
  if (records.length === 0) return E.left(streamError(offset, 'the last record must be END'))
  const out = new Uint8Array(offset)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return E.right(out)
}
