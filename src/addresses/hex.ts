/**
 * Hexadecimal text for 64-bit values: `0x`-prefixed, case-insensitive input, lowercase
 * output, as QEMU's monitor prints addresses.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { TWO_64 } from './u64.js'

const HEX_BODY = /^[0-9a-fA-F]+$/

/**
 * Parses `0x…` (or `0X…`) hexadecimal text into a bigint no larger than `max`
 * (2^64 - 1 unless said otherwise). The message says what was wrong.
 *
 * @example
 * import { codec } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(codec.parseHex('0xFFFC0000'), either.right(0xfffc0000n))
 * assert.equal(either.isLeft(codec.parseHex('0x10000000000000000')), true)
 * assert.equal(either.isLeft(codec.parseHex('fffc0000')), true)
 */
export const parseHex = (text: string, max: bigint = TWO_64 - 1n): E.Either<string, bigint> => {
  if (!/^0[xX]/.test(text))
    return E.left(`expected a hex number starting with 0x, found ${show(text)}`)
  const body = text.slice(2)
  if (!HEX_BODY.test(body)) return E.left(`expected hex digits after 0x, found ${show(text)}`)
  // Reject overlong text before building a huge bigint.
  if (body.replace(/^0+/, '').length > 17) return E.left(`${show(text)} overflows 64 bits`)
  const n = BigInt('0x' + body)
  return n > max ? E.left(`${show(text)} is larger than 0x${max.toString(16)}`) : E.right(n)
}

/** `0x` followed by lowercase hex digits, no padding. */
export const toHex = (n: bigint): string => '0x' + n.toString(16)

/** 16 zero-padded lowercase hex digits, no prefix: QEMU's `TARGET_FMT_plx`. */
export const toHex16 = (n: bigint): string => BigInt.asUintN(64, n).toString(16).padStart(16, '0')

/** A short, quoted rendering of user text for error messages. */
export const show = (text: string): string =>
  JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)
