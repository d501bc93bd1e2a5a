/**
 * Sizes as people type them on a QEMU command line: `512M`, `16M`, `4k`, `2G`, `0x1000`,
 * `4096`. Suffixes are binary (K = 2^10 … E = 2^60) and case-insensitive, as in QEMU's
 * `qemu_strtosz` (util/cutils.c); fractions are not accepted.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { parseHex, show } from './hex.js'
import type { Size } from './kinds.js'
import { TWO_64 } from './u64.js'

const SUFFIX: Readonly<Record<string, bigint>> = {
  '': 1n,
  b: 1n,
  k: 1n << 10n,
  m: 1n << 20n,
  g: 1n << 30n,
  t: 1n << 40n,
  p: 1n << 50n,
  e: 1n << 60n,
}

/**
 * Parses a size: hex (`0x…`), or a decimal integer with an optional binary suffix.
 *
 * @example
 * import * as sizeText from 'ramaddr/internal/addresses/size-text'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(sizeText.parseSize('16M'), either.right(0x1000000n))
 * assert.deepEqual(sizeText.parseSize('0x40000'), either.right(0x40000n))
 * assert.equal(either.isLeft(sizeText.parseSize('17E')), true)
 */
export const parseSize = (text: string): E.Either<string, Size> => {
  if (/^0[xX]/.test(text)) return parseHex(text, TWO_64) as E.Either<string, Size>
  const m = /^([0-9]+)([bBkKmMgGtTpPeE]?)$/.exec(text)
  if (m === null || m[1] === undefined || m[2] === undefined)
    return E.left(`expected a size such as 4096, 0x1000, 64K, 16M or 2G, found ${show(text)}`)
  if (m[1].length > 25) return E.left(`size ${show(text)} is larger than 2^64`)
  const n = BigInt(m[1]) * (SUFFIX[m[2].toLowerCase()] ?? 1n)
  return n > TWO_64 ? E.left(`size ${show(text)} is larger than 2^64`) : E.right(n as Size)
}
