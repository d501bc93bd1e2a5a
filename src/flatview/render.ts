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
import { canMergeAt, type FlatRange } from './flat-range.js'
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

/** Where a region renders: its container's base, the clip window and the path's flags. */
interface Place {
  readonly base: bigint
  readonly clipStart: bigint
  readonly clipEnd: bigint
  readonly readonly: boolean
  readonly nonvolatile: boolean
  /** Aliases on the way here, to refuse cycles. */
  readonly aliases: ReadonlySet<RegionId> | undefined
}

/** What the ranges a terminating region fills have in common (mutable, local to a render). */
interface Pen {
  region: RegionId
  base: bigint
  readonly: boolean
  nonvolatile: boolean
  romd: boolean
  dirtyLog: number
}

/**
 * Work left on the stack: a region to render at a place (an alias target), the
 * subregions of a region still to render (one frame for all of them, advanced in list
 * order, rather than one task per child), or the gaps a terminating region fills.
 */
type Task =
  | { readonly tag: 'visit'; readonly id: RegionId; readonly at: Place }
  | {
      readonly tag: 'children'
      readonly ids: ReadonlyArray<RegionId>
      next: number
      readonly at: Place
    }
  | { readonly tag: 'fill'; readonly region: Region; readonly at: Place }

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
    const r: Render = {
      t,
      options,
      view: new SortedRanges(),
      stack: [],
      pen: {
        region: root,
        base: 0n,
        readonly: false,
        nonvolatile: false,
        romd: false,
        dirtyLog: 0,
      },
    }
    visit(r, root, {
      base: 0n,
      clipStart: 0n,
      clipEnd: TWO_64,
      readonly: false,
      nonvolatile: false,
      aliases: undefined,
    })
    const stack = r.stack
    while (stack.length > 0) {
      const task = stack[stack.length - 1] as Task
      if (task.tag === 'children') {
        // the next subregion renders (and everything it pushes) before the one after it
        if (task.next + 1 >= task.ids.length) stack.pop()
        visit(r, task.ids[task.next++] as RegionId, task.at)
        continue
      }
      stack.pop()
      if (task.tag === 'fill') {
        const { base, clipStart, clipEnd, readonly, nonvolatile } = task.at
        fill(r, task.region, base, clipStart, clipEnd, readonly, nonvolatile)
      } else visit(r, task.id, task.at)
    }
    return simplifyParts(r.view.parts())
  }

/**
 * The state of one render. The walk's steps are module functions taking it, not closures
 * made per render: V8's optimised code for a closure embeds that render's objects, and
 * after they die a full GC throws the code away ("weak objects"), so every render after a
 * GC ran unoptimised code again (86 such deopts in one bench run).
 */
interface Render {
  readonly t: Topology
  readonly options: RenderOptions
  readonly view: SortedRanges
  readonly stack: Task[]
  /** The region filling gaps, read by {@link makeRange}. */
  readonly pen: Pen
}

/** A flat range of the pen's region over `[start, end)`. */
const makeRange = (pen: Pen, start: bigint, end: bigint): FlatRange => ({
  start,
  end,
  region: pen.region,
  // most ranges start where their region does: no bigint made for the 0
  offsetInRegion: start === pen.base ? 0n : start - pen.base,
  readonly: pen.readonly,
  nonvolatile: pen.nonvolatile,
  romd: pen.romd,
  dirtyLog: pen.dirtyLog,
})

/** The terminating `mr`, based at `base`, fills the parts of its clip window still empty. */
const fill = (
  r: Render,
  mr: Region,
  base: bigint,
  clipStart: bigint,
  clipEnd: bigint,
  readonly: boolean,
  nonvolatile: boolean,
): void => {
  if (clipEnd <= clipStart) return
  const pen = r.pen
  pen.region = mr.id
  pen.base = base
  pen.readonly = readonly
  pen.nonvolatile = nonvolatile
  pen.romd = mr.romd
  pen.dirtyLog = dirtyLogMask(mr, r.options)
  r.view.fill(clipStart, clipEnd, makeRange, pen)
}

/** Renders one region at a place: pushes what it leaves to do. */
const visit = (r: Render, id: RegionId, at: Place): void => {
  const mr = r.t.regions.get(id)
  if (mr === undefined || !mr.enabled) return
  // under a container at 0 (most of a real machine) the region's own bigint serves
  const base = at.base === 0n ? mr.addr : at.base + mr.addr
  const end = base + mr.size
  // addrrange_intersects: r.start in clip, or clip.start in r
  const intersects =
    (base >= at.clipStart && base < at.clipEnd) || (at.clipStart >= base && at.clipStart < end)
  if (!intersects) return
  const ro = at.readonly || mr.readonly
  const nv = at.nonvolatile || mr.nonvolatile
  const clipStart = maxBig(base, at.clipStart)
  const clipEnd = minBig(end, at.clipEnd)
  if (mr.kind === 'alias') {
    const target = mr.aliasTarget === undefined ? undefined : r.t.regions.get(mr.aliasTarget)
    if (target === undefined || at.aliases?.has(mr.id) === true) return
    const aliases = new Set(at.aliases ?? [])
    aliases.add(mr.id)
    r.stack.push({
      tag: 'visit',
      id: target.id,
      at: {
        base: base - target.addr - mr.aliasOffset,
        clipStart,
        clipEnd,
        readonly: ro,
        nonvolatile: nv,
        aliases,
      },
    })
    return
  }
  // a leaf fills its window now: nothing it would push could render before the fill
  if (mr.subregions.length === 0) {
    if (terminates(mr)) fill(r, mr, base, clipStart, clipEnd, ro, nv)
    return
  }
  const here: Place = {
    base,
    clipStart,
    clipEnd,
    readonly: ro,
    nonvolatile: nv,
    aliases: at.aliases,
  }
  if (terminates(mr)) r.stack.push({ tag: 'fill', region: mr, at: here })
  r.stack.push({ tag: 'children', ids: mr.subregions, next: 0, at: here })
}

/** QEMU `flatview_simplify`: merges each run of mergeable neighbours into its first range. */
export const simplify = (ranges: ReadonlyArray<FlatRange>): FlatRange[] => simplifyParts([ranges])

/** Most chunks one `concat` call takes as arguments (well under V8's argument limit). */
const CONCAT_MAX = 4096

/** Whether any two neighbours of the parts (taken as one list) can merge. */
const anyMerge = (parts: ReadonlyArray<ReadonlyArray<FlatRange>>): boolean => {
  let last: FlatRange | undefined
  for (const part of parts)
    for (const r of part) {
      if (last !== undefined && canMergeAt(last, last.end, r)) return true
      last = r
    }
  return false
}

/**
 * {@link simplify} over ranges held in consecutive parts (the render's chunks), in one
 * pass: a run is merged into one new range when it ends, not copied once per member.
 * When nothing merges (one comparison pass finds out), the answer is the parts joined
 * by one `concat`, which sizes it once instead of growing it by pushes (up to
 * `CONCAT_MAX` chunks, about half a million ranges; beyond, the pushes).
 */
const simplifyParts = (parts: ReadonlyArray<ReadonlyArray<FlatRange>>): FlatRange[] => {
  if (parts.length <= CONCAT_MAX && !anyMerge(parts)) return ([] as FlatRange[]).concat(...parts)
  const out: FlatRange[] = []
  let last: FlatRange | undefined
  let lastEnd = 0n
  for (const part of parts)
    for (const r of part) {
      if (last !== undefined && canMergeAt(last, lastEnd, r)) {
        lastEnd = r.end
        continue
      }
      if (last !== undefined) out.push(lastEnd === last.end ? last : { ...last, end: lastEnd })
      last = r
      lastEnd = r.end
    }
  if (last !== undefined) out.push(lastEnd === last.end ? last : { ...last, end: lastEnd })
  return out
}
