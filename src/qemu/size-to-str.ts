/**
 * QEMU's human-readable sizes (`size_to_str`, util/cutils.c): a `%0.3g` mantissa, a space
 * and an IEC unit (`B`, `KiB`, … `EiB`), switching to the next unit once the value
 * reaches 1000 of the current one. `info ramblock` prints page sizes this way.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'

const SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const

/** The binary exponent `frexp` returns: `d = m * 2^e` with `m` in [0.5, 1). */
const frexpExponent = (d: number): number => {
  if (d === 0) return 0
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, d)
  const biased = (view.getUint16(0) >> 4) & 0x7ff
  return biased - 1022
}

/** C's `%.3g` for a finite non-negative double. */
export const formatG3 = (x: number): string => {
  if (x === 0) return '0'
  const [mant = '', expText = '0'] = x.toExponential(2).split('e')
  const exp = Number(expText)
  const strip = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s)
  if (exp < -4 || exp >= 3) {
    const sign = exp < 0 ? '-' : '+'
    return `${strip(mant)}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  return strip(x.toFixed(2 - exp))
}

/**
 * `size_to_str(val)` for a 64-bit size.
 *
 * @example
 * import * as sizeToStr from 'ramaddr/internal/qemu/size-to-str'
 * assert.equal(sizeToStr.sizeToStr(0x1000n), '4 KiB')
 * assert.equal(sizeToStr.sizeToStr(0x200000n), '2 MiB')
 * assert.equal(sizeToStr.sizeToStr(1000n * 1024n), '0.977 MiB')
 * assert.equal(sizeToStr.sizeToStr(512n), '512 B')
 */
export const sizeToStr = (val: bigint): string => {
  const v = Number(BigInt.asUintN(64, val))
  const e = frexpExponent(v / (1000.0 / 1024.0))
  const i = Math.trunc((e - 1) / 10)
  const div = 2 ** (i * 10)
  return `${formatG3(v / div)} ${SUFFIXES[i] ?? ''}B`
}

/**
 * The power-of-two size a `size_to_str` text stands for, when the text is exactly what
 * `size_to_str` prints for it (`4 KiB` → 4096); none otherwise.
 */
export const parsePowerOfTwoSize = (text: string): O.Option<bigint> => {
  const m = /^([0-9]{1,3}) ((?:Ki|Mi|Gi|Ti|Pi|Ei)?)B$/.exec(text)
  if (m === null || m[1] === undefined || m[2] === undefined) return O.none
  const unit = SUFFIXES.indexOf(m[2] as (typeof SUFFIXES)[number])
  const value = BigInt(m[1]) << BigInt(unit * 10)
  const isPow2 = value > 0n && (value & (value - 1n)) === 0n
  return isPow2 && value < 1n << 64n && sizeToStr(value) === text ? O.some(value) : O.none
}
