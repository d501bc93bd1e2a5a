/**
 * The vertical scale of a map picture: piecewise, not linear. A 64-bit address space is
 * 2^64 bytes wide and a ROM is 128 KiB, so a linear scale would draw every interesting
 * region as a hairline. Instead the addresses are cut at every point where something
 * starts or ends; each piece that something occupies gets a height that grows with the
 * logarithm of its size, and each empty piece (a gap) gets one small fixed height, drawn
 * as a break. Within a piece the scale is linear, so every address still has one place
 * and order is kept.
 *
 * @module
 */

/** One piece of the scale: `[start, end)` drawn from `y` over `height` pixels. */
export interface Segment {
  readonly start: bigint
  readonly end: bigint
  /** Nothing occupies the piece: it is drawn as a compressed gap. */
  readonly gap: boolean
  readonly y: number
  readonly height: number
}

/** A piecewise scale: segments in address order, contiguous in pixels from `top`. */
export interface Scale {
  readonly top: number
  readonly segments: ReadonlyArray<Segment>
}

/** Pixel height of a gap of any size. */
export const GAP_HEIGHT = 22

/**
 * The height an occupied piece of `size` bytes gets: 8 px for 4 KiB or less, 5 px more
 * per doubling, at most 140 px.
 */
export const pieceHeight = (size: bigint): number => {
  const bits = size <= 1n ? 0 : (size - 1n).toString(2).length
  return Math.min(140, 8 + 5 * Math.max(0, bits - 12))
}

/** Address order for sorting. */
export const compareBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The scale over `points` (cut points, any order, duplicates allowed): `occupied(s, e)`
 * says whether the piece `[s, e)` is covered by something drawn; `extra` gives pixels to
 * add to a piece (to make room for labels).
 *
 * @example
 * import * as draw from 'ramaddr/draw'
 * const s = draw.scaleOf([0x0n, 0x1000n, 0x100000000n, 0x100001000n], (a) => a !== 0x1000n, 100)
 * assert.deepEqual(s.segments.map((g) => [g.gap, g.y, g.height]), [[false, 100, 8], [true, 108, 22], [false, 130, 8]])
 * assert.equal(draw.yOf(0x800n)(s), 104)
 */
export const scaleOf = (
  points: ReadonlyArray<bigint>,
  occupied: (start: bigint, end: bigint) => boolean,
  top: number,
  extra: (start: bigint, end: bigint) => number = () => 0,
): Scale => {
  const cuts = [...new Set(points)].sort(compareBig)
  const segments: Segment[] = []
  let y = top
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i] as bigint
    const end = cuts[i + 1] as bigint
    const gap = !occupied(start, end)
    const height = (gap ? GAP_HEIGHT : pieceHeight(end - start)) + (gap ? 0 : extra(start, end))
    segments.push({ start, end, gap, y, height })
    y += height
  }
  return { top, segments }
}

/** The pixel just below the last segment. */
export const bottomOf = (s: Scale): number => {
  const last = s.segments[s.segments.length - 1]
  return last === undefined ? s.top : last.y + last.height
}

/**
 * The y of an address: linear inside its segment; clamped to the scale's ends outside
 * it. Monotonic: a higher address is never drawn above a lower one.
 */
export const yOf =
  (addr: bigint) =>
  (s: Scale): number => {
    const segs = s.segments
    let lo = 0
    let hi = segs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((segs[mid] as Segment).end <= addr) lo = mid + 1
      else hi = mid
    }
    const seg = segs[lo]
    if (seg === undefined) return bottomOf(s)
    if (addr <= seg.start) return seg.y
    const span = seg.end - seg.start
    // ratio in 1/2^20 steps: exact enough for pixels, no precision loss on 64-bit values
    const ratio = Number(((addr - seg.start) << 20n) / span) / 2 ** 20
    return seg.y + ratio * seg.height
  }
