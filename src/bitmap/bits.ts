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
