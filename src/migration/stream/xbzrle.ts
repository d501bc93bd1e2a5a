/**
 * XBZRLE: the delta encoding of a page against its previous contents (util/xbzrle.c).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'

/**
 * Applies an XBZRLE delta to a page in place, as util/xbzrle.c `xbzrle_decode_buffer`
 * does: runs of (ULEB128 zero-run length, ULEB128 literal length, literal bytes); the
 * zero runs are bytes left as they were, the literals replace bytes. Lengths are at most
 * two ULEB128 bytes (`uleb128_decode_small`); every run but the first has a non-zero
 * zero-run, every literal a non-zero length, and nothing may run past the page. Returns
 * the number of bytes the delta spans, or the offset in `src` where it is malformed.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * import * as either from 'fp-ts/lib/Either.js'
 * const page = new Uint8Array(8)
 * // skip 2 bytes, write 3 bytes
 * assert.deepEqual(stream.xbzrleDecode(new Uint8Array([2, 3, 7, 8, 9]), page), either.right(5))
 * assert.deepEqual([...page], [0, 0, 7, 8, 9, 0, 0, 0])
 * assert.ok(either.isLeft(stream.xbzrleDecode(new Uint8Array([9, 1, 1]), page)))
 */
export const xbzrleDecode = (src: Uint8Array, dst: Uint8Array): E.Either<number, number> => {
  const slen = src.length
  const dlen = dst.length
  let i = 0
  let d = 0
  const uleb = (): number => {
    const b0 = src[i] ?? 0
    if ((b0 & 0x80) === 0) {
      i += 1
      return b0
    }
    const b1 = src[i + 1] ?? 0
    if ((b1 & 0x80) !== 0) return -1
    i += 2
    return (b0 & 0x7f) | (b1 << 7)
  }
  while (i < slen) {
    if (slen - i < 2) return E.left(i)
    const at = i
    const zrun = uleb()
    if (zrun < 0 || (at !== 0 && zrun === 0)) return E.left(at)
    d += zrun
    if (d > dlen) return E.left(at)
    if (slen - i < 2) return E.left(i)
    const nat = i
    const nzrun = uleb()
    if (nzrun <= 0) return E.left(nat)
    if (d + nzrun > dlen || i + nzrun > slen) return E.left(nat)
    dst.set(src.subarray(i, i + nzrun), d)
    d += nzrun
    i += nzrun
  }
  return E.right(d)
}
