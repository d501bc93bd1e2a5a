/**
 * What changed between two flat views of one address space, in two forms:
 *
 * - {@link diff}: by GPA, the ranges whose backing appeared, disappeared or changed
 *   (another region, another offset, or other attributes), so a BAR move is a value to
 *   inspect;
 * - {@link updates}: the listener calls QEMU makes (`address_space_update_topology_pass`):
 *   every old range not `flatrange_equal` to a new one is deleted, then every new range
 *   not present before is added; deletions all come before additions.
 *
 * @module
 */
import { flatRangeEqual, type FlatRange } from './flat-range.js'
import type { FlatView } from './flatview.js'

/** How a GPA range changed. */
export interface ViewChange {
  readonly kind: 'appeared' | 'disappeared' | 'changed'
  readonly start: bigint
  readonly end: bigint
  /** The range that covered it before, if any. */
  readonly before?: FlatRange
  /** The range that covers it after, if any. */
  readonly after?: FlatRange
}

const sameBacking = (a: FlatRange, b: FlatRange, at: bigint): boolean =>
  a.region === b.region &&
  a.offsetInRegion + (at - a.start) === b.offsetInRegion + (at - b.start) &&
  a.readonly === b.readonly &&
  a.romd === b.romd &&
  a.nonvolatile === b.nonvolatile

/**
 * The GPA ranges whose backing differs between `before` and `after`, in address order;
 * neighbouring pieces with the same old and new ranges are joined.
 *
 * @example
 * import { flatview } from 'ramaddr'
 * import * as option from 'fp-ts/lib/Option.js'
 * const r = (start, end, region) => ({ start, end, region, offsetInRegion: 0n, readonly: false, nonvolatile: false, romd: true, dirtyLog: 0 })
 * const before = flatview.fromRanges(option.none, [r(0xfd000000n, 0xfe000000n, 7)])
 * const after = flatview.fromRanges(option.none, [r(0xe0000000n, 0xe1000000n, 7)])
 * assert.deepEqual(flatview.diff(before)(after).map((c) => [c.kind, c.start, c.end]), [
 *   ['appeared', 0xe0000000n, 0xe1000000n],
 *   ['disappeared', 0xfd000000n, 0xfe000000n],
 * ])
 */
export const diff =
  (before: FlatView) =>
  (after: FlatView): ReadonlyArray<ViewChange> => {
    const bounds = new Set<bigint>()
    for (const r of before.ranges) bounds.add(r.start).add(r.end)
    for (const r of after.ranges) bounds.add(r.start).add(r.end)
    const points = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const out: ViewChange[] = []
    let i = 0
    let j = 0
    for (let k = 0; k + 1 < points.length; k++) {
      const s = points[k] as bigint
      const e = points[k + 1] as bigint
      while (i < before.ranges.length && (before.ranges[i] as FlatRange).end <= s) i++
      while (j < after.ranges.length && (after.ranges[j] as FlatRange).end <= s) j++
      const b = before.ranges[i]
      const a = after.ranges[j]
      const bIn = b !== undefined && b.start <= s ? b : undefined
      const aIn = a !== undefined && a.start <= s ? a : undefined
      if (bIn === undefined && aIn === undefined) continue
      if (bIn !== undefined && aIn !== undefined && sameBacking(bIn, aIn, s)) continue
      const kind = bIn === undefined ? 'appeared' : aIn === undefined ? 'disappeared' : 'changed'
      const last = out[out.length - 1]
      if (
        last !== undefined &&
        last.end === s &&
        last.kind === kind &&
        last.before === bIn &&
        last.after === aIn
      )
        out[out.length - 1] = { ...last, end: e }
      else
        out.push({
          kind,
          start: s,
          end: e,
          ...(bIn === undefined ? {} : { before: bIn }),
          ...(aIn === undefined ? {} : { after: aIn }),
        })
    }
    return out
  }

/** The listener calls a view change causes: `region_del` for each, then `region_add`. */
export interface Updates {
  readonly deleted: ReadonlyArray<FlatRange>
  readonly added: ReadonlyArray<FlatRange>
}

/**
 * QEMU's two update passes over the old and new range arrays, ordered by start: a range
 * present in both (`flatrange_equal`) is kept; any other old range is deleted, any other
 * new range added.
 */
export const updates =
  (before: FlatView) =>
  (after: FlatView): Updates => {
    const deleted: FlatRange[] = []
    const added: FlatRange[] = []
    let i = 0
    let j = 0
    const old = before.ranges
    const neu = after.ranges
    while (i < old.length || j < neu.length) {
      const o = old[i]
      const n = neu[j]
      if (
        o !== undefined &&
        (n === undefined || o.start < n.start || (o.start === n.start && !flatRangeEqual(o, n)))
      ) {
        deleted.push(o)
        i++
      } else if (o !== undefined && n !== undefined && flatRangeEqual(o, n)) {
        i++
        j++
      } else if (n !== undefined) {
        added.push(n)
        j++
      }
    }
    return { deleted, added }
  }

/** One listener callback of a topology commit. */
export type ListenerEvent =
  | { readonly kind: 'del'; readonly range: FlatRange }
  | { readonly kind: 'add'; readonly range: FlatRange }
  | {
      readonly kind: 'logStart' | 'logStop'
      readonly range: FlatRange
      readonly old: number
      readonly new: number
    }

/**
 * The callbacks a commit delivers to a memory listener, in QEMU's order
 * (`address_space_update_topology_pass`): every `region_del` (pass 1, by address), then
 * by address every `region_add`, and for ranges present in both views `log_start` when
 * dirty-log clients were gained and `log_stop` when some were lost.
 */
export const transaction =
  (before: FlatView) =>
  (after: FlatView): ReadonlyArray<ListenerEvent> => {
    const { deleted } = updates(before)(after)
    const events: ListenerEvent[] = deleted.map((range) => ({ kind: 'del' as const, range }))
    let i = 0
    for (const n of after.ranges) {
      while (i < before.ranges.length && (before.ranges[i] as FlatRange).start < n.start) i++
      const o = before.ranges[i]
      if (o !== undefined && o.start === n.start && flatRangeEqual(o, n)) {
        if ((n.dirtyLog & ~o.dirtyLog) !== 0)
          events.push({ kind: 'logStart', range: n, old: o.dirtyLog, new: n.dirtyLog })
        if ((o.dirtyLog & ~n.dirtyLog) !== 0)
          events.push({ kind: 'logStop', range: n, old: o.dirtyLog, new: n.dirtyLog })
      } else events.push({ kind: 'add', range: n })
    }
    return events
  }
