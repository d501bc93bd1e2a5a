/**
 * Which aliases a guest-physical address goes through on its way to the region that
 * backs it. A flat range only names the terminating region (`pc.ram`); people reading a
 * map want to see that `0x100000` is `pc.ram` seen through the alias `ram-below-4g`.
 *
 * The answer follows QEMU's `render_memory_region` (softmmu/memory.c) at one address: a
 * disabled region renders nothing; an alias continues into its target with the base
 * shifted by `-target.addr - alias_offset`; a container tries its subregions in list
 * order (descending priority, newest first among equals) and then, if it terminates,
 * fills with itself; the first region to claim the address wins. So the region found here
 * is the one the flat view holds at that address, and the path is the one that put it
 * there.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import { terminates, type Region, type RegionId } from '../region/region.js'
import type { Topology } from '../region/topology.js'
import { lastStartAtOrBelow } from '../flatview/flatview.js'
import { TWO_64 } from '../addresses/u64.js'

/** One alias on the way: the alias region and the target it opens onto. */
export interface AliasStep {
  readonly alias: Region
  readonly target: Region
}

/** What backs one address, and how it was reached. */
export interface Provenance {
  /** The terminating region that renders at the address. */
  readonly region: Region
  /** The byte of `region` the address reaches. */
  readonly offsetInRegion: bigint
  /** The aliases passed through, outermost first; empty for a direct mapping. */
  readonly aliases: ReadonlyArray<AliasStep>
}

/**
 * A container's enabled subregions sorted by their start in it, with each prefix's
 * furthest end, so the ones covering an offset are found by binary search instead of
 * trying every subregion (a container of 10,000 ranges made a scene of it quadratic).
 */
interface SubIndex {
  readonly of: Region
  readonly starts: BigUint64Array
  readonly ends: ReadonlyArray<bigint>
  readonly furthest: ReadonlyArray<bigint>
  /** Position of each sorted entry in the container's list order. */
  readonly order: ReadonlyArray<number>
}

/** Below this many subregions a plain scan is as quick as the index. */
const INDEX_FROM = 16

const indexes = new WeakMap<ReadonlyMap<RegionId, Region>, Map<RegionId, SubIndex>>()

const indexOf = (t: Topology, mr: Region): SubIndex => {
  let byId = indexes.get(t.regions)
  if (byId === undefined) {
    byId = new Map()
    indexes.set(t.regions, byId)
  }
  const have = byId.get(mr.id)
  if (have !== undefined && have.of === mr) return have
  const entries: Array<{ start: bigint; end: bigint; order: number }> = []
  mr.subregions.forEach((id, order) => {
    const c = t.regions.get(id)
    if (c !== undefined && c.enabled) entries.push({ start: c.addr, end: c.addr + c.size, order })
  })
  entries.sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : x.order - y.order))
  const furthest: bigint[] = []
  let far = -1n
  for (const e of entries) {
    if (e.end > far) far = e.end
    furthest.push(far)
  }
  const index: SubIndex = {
    of: mr,
    starts: BigUint64Array.from(entries, (e) => e.start),
    ends: entries.map((e) => e.end),
    furthest,
    order: entries.map((e) => e.order),
  }
  byId.set(mr.id, index)
  return index
}

/**
 * The subregions of `mr` that may claim offset `rel` of it, in list order (the order QEMU's
 * render tries them): all of them for a small container, else those whose span covers
 * `rel`.
 */
const candidates = (t: Topology, mr: Region, rel: bigint): ReadonlyArray<RegionId> => {
  if (mr.subregions.length < INDEX_FROM) return mr.subregions
  const ix = indexOf(t, mr)
  const found: number[] = []
  for (let j = lastStartAtOrBelow(ix.starts, rel); j >= 0 && (ix.furthest[j] ?? -1n) > rel; j--)
    if ((ix.ends[j] ?? 0n) > rel) found.push(ix.order[j] ?? 0)
  found.sort((x, y) => x - y)
  return found.map((o) => mr.subregions[o] as RegionId)
}

const resolve = (
  t: Topology,
  id: RegionId,
  base: bigint,
  clipStart: bigint,
  clipEnd: bigint,
  addr: bigint,
  seen: ReadonlySet<RegionId>,
): Provenance | undefined => {
  const mr = t.regions.get(id)
  if (mr === undefined || !mr.enabled) return undefined
  const b = base + mr.addr
  const start = b > clipStart ? b : clipStart
  const end = b + mr.size < clipEnd ? b + mr.size : clipEnd
  if (addr < start || addr >= end) return undefined
  if (mr.kind === 'alias') {
    const target = mr.aliasTarget === undefined ? undefined : t.regions.get(mr.aliasTarget)
    if (target === undefined || seen.has(mr.id)) return undefined
    const inner = resolve(
      t,
      target.id,
      b - target.addr - mr.aliasOffset,
      start,
      end,
      addr,
      new Set([...seen, mr.id]),
    )
    return inner === undefined
      ? undefined
      : { ...inner, aliases: [{ alias: mr, target }, ...inner.aliases] }
  }
  for (const sub of candidates(t, mr, addr - b)) {
    const found = resolve(t, sub, b, start, end, addr, seen)
    if (found !== undefined) return found
  }
  return terminates(mr) ? { region: mr, offsetInRegion: addr - b, aliases: [] } : undefined
}

/**
 * The region that backs `addr` in the tree under `root` (rendered at base 0, as an
 * address space's root is), with the aliases on the way; none where nothing is mapped.
 *
 * @example
 * import { mtree } from 'ramaddr'
 * import * as draw from 'ramaddr/draw'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const t = mtree.parse([
 *   'address-space: memory',
 *   '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
 *   '    0000000000100000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000100000-0000000007ffffff',
 *   '',
 *   'memory-region: pc.ram',
 *   '  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram',
 *   '',
 * ].join('\n'))
 * assert.ok(either.isRight(t))
 * const root = t.right.addressSpaces[0].root
 * const p = draw.provenance(root, 0x123456n)(t.right)
 * assert.ok(option.isSome(p))
 * assert.equal(p.value.region.name, 'pc.ram')
 * assert.equal(p.value.offsetInRegion, 0x123456n)
 * assert.deepEqual(p.value.aliases.map((s) => [s.alias.name, s.target.name]), [['ram-below-4g', 'pc.ram']])
 * assert.ok(option.isNone(draw.provenance(root, 0x8000000n)(t.right)))
 */
export const provenance =
  (root: RegionId, addr: bigint) =>
  (t: Topology): O.Option<Provenance> =>
    O.fromNullable(resolve(t, root, 0n, 0n, TWO_64, addr, new Set()))
