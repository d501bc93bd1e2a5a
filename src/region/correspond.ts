/**
 * Region identity across two topologies of the same machine, such as two `info mtree`
 * dumps taken before and after a guest reprogrammed a BAR: each parse numbers its
 * regions afresh, so ids must be matched before views can be compared the way QEMU
 * compares them (same region object).
 *
 * A region's key is its path: the address spaces whose root it is (or the
 * `memory-region:` section it heads), then each name down the tree with an occurrence
 * number among same-named siblings ordered by address and priority. A region moved
 * within its container (a BAR move) keeps its key.
 *
 * @module
 */
import type { Region, RegionId } from './region.js'
import type { Topology } from './topology.js'

/** The path key of every region reachable from an address space or a section. */
export const pathKeys = (t: Topology): ReadonlyMap<RegionId, string> => {
  const keys = new Map<RegionId, string>()
  const groups = new Map<RegionId, string[]>()
  for (const as of t.addressSpaces) {
    const same = groups.get(as.root)
    if (same === undefined) groups.set(as.root, [as.name])
    else same.push(as.name)
  }
  const roots: Array<[RegionId, string]> = [...groups].map(([root, names]) => [
    root,
    `as:${[...names].sort().join(',')}`,
  ])
  for (const id of t.mtreeSections ?? []) roots.push([id, `mr:${t.regions.get(id)?.name ?? ''}`])
  // any other region without a container (an alias target never printed) by name
  for (const r of t.regions.values())
    if (r.container === undefined) roots.push([r.id, `mr:${r.name}`])
  const stack: Array<[RegionId, string]> = []
  const seenRootKeys = new Map<string, number>()
  for (const [id, key] of roots) {
    if (keys.has(id)) continue
    const n = seenRootKeys.get(key) ?? 0
    seenRootKeys.set(key, n + 1)
    const k = n === 0 ? key : `${key}#${n}`
    keys.set(id, k)
    stack.push([id, k])
  }
  while (stack.length > 0) {
    const [id, key] = stack.pop() as [RegionId, string]
    const r = t.regions.get(id)
    if (r === undefined) continue
    const kids = r.subregions
      .map((c, i) => ({ c: t.regions.get(c), i }))
      .filter((x): x is { c: Region; i: number } => x.c !== undefined)
      .sort((a, b) =>
        a.c.addr < b.c.addr
          ? -1
          : a.c.addr > b.c.addr
            ? 1
            : b.c.priority - a.c.priority || a.i - b.i,
      )
    const count = new Map<string, number>()
    for (const { c } of kids) {
      if (keys.has(c.id)) continue
      const n = count.get(c.name) ?? 0
      count.set(c.name, n + 1)
      const k = `${key}/${c.name}#${n}`
      keys.set(c.id, k)
      stack.push([c.id, k])
    }
  }
  return keys
}

/**
 * `t` with its region ids renumbered so that every region whose path key also exists in
 * `reference` takes the reference's id; the others get ids above both. Views of the two
 * topologies can then be diffed as QEMU diffs its views.
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import * as correspond from 'ramaddr/internal/region/correspond'
 * import * as either from 'fp-ts/lib/Either.js'
 * const before = mtree.parse('address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\n\n')
 * const after = mtree.parse('address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    0000000000001000-0000000000001fff (prio 0, i/o): new-io\n    00000000e0000000-00000000e0ffffff (prio 1, ram): vga.vram\n\n')
 * assert.ok(either.isRight(before) && either.isRight(after))
 * const aligned = correspond.alignIds(before.right)(after.right)
 * assert.equal(topology.byName('vga.vram')(aligned)[0]?.id, topology.byName('vga.vram')(before.right)[0]?.id)
 */
export const alignIds =
  (reference: Topology) =>
  (t: Topology): Topology => {
    const refByKey = new Map<string, RegionId>()
    for (const [id, key] of pathKeys(reference)) refByKey.set(key, id)
    const mine = pathKeys(t)
    let next = Math.max(reference.nextId, t.nextId)
    const remap = new Map<RegionId, RegionId>()
    const taken = new Set<RegionId>()
    for (const [id, key] of mine) {
      const ref = refByKey.get(key)
      if (ref !== undefined && !taken.has(ref)) {
        remap.set(id, ref)
        taken.add(ref)
      }
    }
    for (const id of t.regions.keys()) if (!remap.has(id)) remap.set(id, next++ as RegionId)
    const to = (id: RegionId): RegionId => remap.get(id) as RegionId
    const regions = new Map<RegionId, Region>()
    for (const r of t.regions.values()) {
      const { container, aliasTarget, ...rest } = r
      regions.set(to(r.id), {
        ...rest,
        id: to(r.id),
        subregions: r.subregions.map(to),
        ...(container === undefined ? {} : { container: to(container) }),
        ...(aliasTarget === undefined ? {} : { aliasTarget: to(aliasTarget) }),
      })
    }
    return {
      regions,
      addressSpaces: t.addressSpaces.map((a) => ({ ...a, root: to(a.root) })),
      nextId: next,
      ...(t.mtreeSections === undefined ? {} : { mtreeSections: t.mtreeSections.map(to) }),
    }
  }
