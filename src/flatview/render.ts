/**
 * Rendering a region tree into flat ranges, as QEMU's `render_memory_region` and
 * `flatview_simplify` do (softmmu/memory.c):
 *
 * 1. a disabled region renders nothing, nor does anything under it;
 * 2. the region's address is added to the base, its readonly and nonvolatile flags are
 *    OR-ed into the path's, and the clip window is narrowed to the region (nothing if
 *    they do not intersect);
 * 3. an alias renders its target with the base shifted by `-target.addr - aliasOffset`;
 * 4. otherwise every subregion renders in list order (descending priority, newest first
 *    among equals), and then a terminating region fills whatever gaps of its clip window
 *    are still empty: the first range placed at an address wins;
 * 5. finally adjacent ranges merge where `can_merge` allows.
 *
 * The walk is iterative, so deep trees do not exhaust the stack, and an alias that
 * would lead back into its own render path is skipped rather than recursing forever
 * (QEMU would overflow its stack; edits and the parser refuse such cycles anyway).
 *
 * @module
 */
import { TWO_64, maxBig, minBig } from '../addresses/u64.js'
import {
  DIRTY_MEMORY_CODE,
  DIRTY_MEMORY_MIGRATION,
  hasRamBlock,
  terminates,
  type Region,
  type RegionId,
} from '../region/region.js'
import type { Topology } from '../region/topology.js'
import { canMerge, type FlatRange } from './flat-range.js'
import { SortedRanges } from './sorted-ranges.js'

/** What besides the tree decides a range's dirty-log mask. */
export interface RenderOptions {
  /** TCG adds the CODE client to every RAM-backed range (`tcg_enabled()`). */
  readonly tcg?: boolean
  /** Global dirty logging (migration) adds the MIGRATION client to RAM-backed ranges. */
  readonly globalDirtyLog?: boolean
}

/** QEMU `memory_region_get_dirty_log_mask`. */
export const dirtyLogMask = (r: Region, options: RenderOptions): number =>
  r.dirtyLog |
  (options.globalDirtyLog === true && hasRamBlock(r) ? DIRTY_MEMORY_MIGRATION : 0) |
  (options.tcg === true && hasRamBlock(r) ? DIRTY_MEMORY_CODE : 0)

type Task =
  | {
      readonly fill: false
      readonly id: RegionId
      readonly base: bigint
      readonly clipStart: bigint
      readonly clipEnd: bigint
      readonly readonly: boolean
      readonly nonvolatile: boolean
      /** Aliases on the way here, to refuse cycles. */
      readonly aliases: ReadonlySet<RegionId> | undefined
    }
  | {
      readonly fill: true
      readonly region: Region
      readonly base: bigint
      readonly clipStart: bigint
      readonly clipEnd: bigint
      readonly readonly: boolean
      readonly nonvolatile: boolean
    }

/**
 * The flat ranges of `root` rendered at base 0 with the clip window `[0, 2^64)`, merged
 * as `flatview_simplify` merges them.
 *
 * @example
 * import { topology, flatview } from 'ramaddr'
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // a RAM region with an I/O hole punched by a higher-priority sibling
 * const ranges = pipe(
 *   topology.fromRegions([
 *     { name: 'system', kind: 'container', size: 1n << 64n },
 *     { name: 'ram', kind: 'ram', size: 0x100000n, parent: 'system' },
 *     { name: 'hole', kind: 'io', size: 0x20000n, parent: 'system', addr: 0xa0000n, priority: 1 },
 *   ]),
 *   E.map((t) => flatview.render(1)(t).map((r) => [r.start, r.end, t.regions.get(r.region)?.name])),
 * )
 * assert.deepEqual(ranges, E.right([
 *   [0x0n, 0xa0000n, 'ram'],
 *   [0xa0000n, 0xc0000n, 'hole'],
 *   [0xc0000n, 0x100000n, 'ram'],
 * ]))
 */
export const render =
  (root: RegionId, options: RenderOptions = {}) =>
  (t: Topology): ReadonlyArray<FlatRange> => {
    const view = new SortedRanges()
    const stack: Task[] = [
      {
        fill: false,
        id: root,
        base: 0n,
        clipStart: 0n,
        clipEnd: TWO_64,
        readonly: false,
        nonvolatile: false,
        aliases: undefined,
      },
    ]
    while (stack.length > 0) {
      const task = stack.pop() as Task
      if (task.fill) {
        fillGaps(view, task, options)
        continue
      }
      const mr = t.regions.get(task.id)
      if (mr === undefined || !mr.enabled) continue
      const base = task.base + mr.addr
      const ro = task.readonly || mr.readonly
      const nv = task.nonvolatile || mr.nonvolatile
      const end = base + mr.size
      // addrrange_intersects: r.start in clip, or clip.start in r
      const intersects =
        (base >= task.clipStart && base < task.clipEnd) ||
        (task.clipStart >= base && task.clipStart < end)
      if (!intersects) continue
      const clipStart = maxBig(base, task.clipStart)
      const clipEnd = minBig(end, task.clipEnd)
      if (mr.kind === 'alias') {
        const target = mr.aliasTarget === undefined ? undefined : t.regions.get(mr.aliasTarget)
        if (target === undefined || task.aliases?.has(mr.id) === true) continue
        const aliases = new Set(task.aliases ?? [])
        aliases.add(mr.id)
        stack.push({
          fill: false,
          id: target.id,
          base: base - target.addr - mr.aliasOffset,
          clipStart,
          clipEnd,
          readonly: ro,
          nonvolatile: nv,
          aliases,
        })
        continue
      }
      if (terminates(mr))
        stack.push({
          fill: true,
          region: mr,
          base,
          clipStart,
          clipEnd,
          readonly: ro,
          nonvolatile: nv,
        })
      for (let i = mr.subregions.length - 1; i >= 0; i--)
        stack.push({
          fill: false,
          id: mr.subregions[i] as RegionId,
          base,
          clipStart,
          clipEnd,
          readonly: ro,
          nonvolatile: nv,
          aliases: task.aliases,
        })
    }
    return simplify(view.toArray())
  }

const fillGaps = (
  view: SortedRanges,
  task: Extract<Task, { fill: true }>,
  options: RenderOptions,
): void => {
  if (task.clipEnd <= task.clipStart) return
  const mask = dirtyLogMask(task.region, options)
  for (const [start, end] of view.gaps(task.clipStart, task.clipEnd))
    view.insert({
      start,
      end,
      region: task.region.id,
      offsetInRegion: start - task.base,
      readonly: task.readonly,
      nonvolatile: task.nonvolatile,
      romd: task.region.romd,
      dirtyLog: mask,
    })
}

/** QEMU `flatview_simplify`: merges each run of mergeable neighbours into its first range. */
export const simplify = (ranges: ReadonlyArray<FlatRange>): FlatRange[] => {
  const out: FlatRange[] = []
  for (const r of ranges) {
    const last = out[out.length - 1]
    if (last !== undefined && canMerge(last, r)) out[out.length - 1] = { ...last, end: r.end }
    else out.push(r)
  }
  return out
}
