/**
 * Bit tricks on one 32-bit word, shared by the tree (layout.ts and the walks) and the JS
 * side of the word kernels (kernels.ts).
 *
 * @module
 */

/** Set bits in a 32-bit word, counted bit-parallel (SWAR: 2-, 4-, then 8-bit sums). */
export const popcount = (x: number): number => {
  let v = x - ((x >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24
}

/** The index of the lowest set bit of a non-zero 32-bit word. */
export const ctz = (x: number): number => 31 - Math.clz32(x & -x)

/**
 * Set bits in words `w[o .. o + n)`: a Harley-Seal count — eight
 * words at a time pass through carry-save adders into running ones, twos and fours words,
 * and only every eighth word's worth of carries (the eights) is counted bit-parallel, so
 * most words cost a few bitwise operations instead of a full count each; the last `n % 8`
 * words are counted one by one.
 */
export const popcountRange = (w: Uint32Array, o: number, n: number): number => {
  let ones = 0
  let twos = 0
  let fours = 0
  let c = 0
  let c2 = 0
  const end = o + (n & -8)
  let i = o
  for (; i < end; i += 8) {
    let a = w[i] as number
    let b = w[i + 1] as number
    let u = ones ^ a
    const tA = (ones & a) | (u & b)
    ones = u ^ b
    a = w[i + 2] as number
    b = w[i + 3] as number
    u = ones ^ a
    const tB = (ones & a) | (u & b)
    ones = u ^ b
    u = twos ^ tA
    const fA = (twos & tA) | (u & tB)
    twos = u ^ tB
    a = w[i + 4] as number
    b = w[i + 5] as number
    u = ones ^ a
    const tC = (ones & a) | (u & b)
    ones = u ^ b
    a = w[i + 6] as number
    b = w[i + 7] as number
    u = ones ^ a
    const tD = (ones & a) | (u & b)
    ones = u ^ b
    u = twos ^ tC
    const fB = (twos & tC) | (u & tD)
    twos = u ^ tD
    u = fours ^ fA
    const eights = (fours & fA) | (u & fB)
    fours = u ^ fB
    c += popcount(eights)
  }
  for (; i < o + n; i++) c2 += popcount(w[i] as number)
  return 8 * c + 4 * popcount(fours) + 2 * popcount(twos) + popcount(ones) + c2
}
