/**
 * The memory topology: every region (a forest linked by container and alias references)
 * and the address spaces rooted in it (QEMU `AddressSpace`: a name and a root region).
 * Address spaces with the same root share one flat view.
 *
 * Every edit returns a new topology and leaves the old one untouched; regions keep their
 * ids across edits. The edits follow softmmu/memory.c: `memory_region_add_subregion`
 * (priority 0) and `_overlap` (given priority) insert the region before the first sibling
 * whose priority it equals or exceeds, so among equal priorities the newest comes first
 * and wins; `memory_region_set_address` re-adds the region, moving it to the front of its
 * equal-priority group.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { TWO_64, U64_MAX } from '../addresses/u64.js'
import type { TopologyError } from './errors.js'
import { resolveRef, type RegionRef } from './region-ref.js'
import type { Region, RegionId, RegionKind } from './region.js'

/** A named address space and its root region. */
export interface AddressSpace {
  readonly name: string
  readonly root: RegionId
}

/** Regions and address spaces. */
export interface Topology {
  readonly regions: ReadonlyMap<RegionId, Region>
  /** Address spaces in registration order (or, when parsed, `info mtree` order). */
  readonly addressSpaces: ReadonlyArray<AddressSpace>
  readonly nextId: number
  /**
   * The `memory-region:` sections of a parsed `info mtree`, in printed order; the printer
   * uses them to reproduce the text. Absent for built topologies.
   */
  readonly mtreeSections?: ReadonlyArray<RegionId>
}

/** An empty topology. */
export const empty = (): Topology => ({ regions: new Map(), addressSpaces: [], nextId: 1 })

/** What a new region is; flags default as QEMU's `memory_region_init` leaves them. */
export interface RegionSpec {
  readonly name: string
  readonly kind: RegionKind
  /** Bytes; `2^64 - 1` (UINT64_MAX) means 2^64, as QEMU's constructors read it. */
  readonly size: bigint
  readonly enabled?: boolean
  readonly readonly?: boolean
  readonly romd?: boolean
  readonly nonvolatile?: boolean
  readonly aliasTarget?: RegionId
  readonly aliasOffset?: bigint
  readonly ramBlock?: string
  readonly dirtyLog?: number
}

/** QEMU reads a `uint64_t` size of `UINT64_MAX` as 2^64 (`int128_2_64()`). */
export const normaliseSize = (size: bigint): bigint => (size === U64_MAX ? TWO_64 : size)

const invalid = (id: RegionId, message: string): TopologyError => ({
  _tag: 'InvalidRegion',
  id,
  message,
})

const noSuch = (id: RegionId): TopologyError => ({
  _tag: 'NoSuchRegion',
  id,
  message: `no region with id ${id}`,
})

const get = (t: Topology, ref: RegionRef): E.Either<TopologyError, Region> => {
  if (typeof ref === 'string') return resolveRef(ref)(t)
  const r = t.regions.get(ref)
  return r === undefined ? E.left(noSuch(ref)) : E.right(r)
}

const put = (t: Topology, ...changed: ReadonlyArray<Region>): Topology => {
  const regions = new Map(t.regions)
  for (const r of changed) regions.set(r.id, r)
  return { ...t, regions }
}

/** A topology and the id of the region just created in it. */
export interface Created {
  readonly topology: Topology
  readonly id: RegionId
}

/**
 * Creates an unmapped region (QEMU `memory_region_init*`), checking its size and alias
 * target.
 *
 * @example
 * import { topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const made = topology.addRegion({ name: 'pc.ram', kind: 'ram', size: 0x8000000n })(topology.empty())
 * assert.ok(either.isRight(made))
 * assert.equal(made.right.topology.regions.get(made.right.id)?.name, 'pc.ram')
 */
export const addRegion =
  (spec: RegionSpec) =>
  (t: Topology): E.Either<TopologyError, Created> => {
    const id = t.nextId as RegionId
    const size = normaliseSize(spec.size)
    if (size < 0n || size > TWO_64)
      return E.left(invalid(id, `region ${spec.name}: size out of [0, 2^64]`))
    if (spec.kind === 'alias') {
      if (spec.aliasTarget === undefined || !t.regions.has(spec.aliasTarget))
        return E.left(invalid(id, `alias ${spec.name}: target region does not exist`))
    } else if (spec.aliasTarget !== undefined)
      return E.left(invalid(id, `region ${spec.name}: only aliases have a target`))
    const aliasOffset = spec.aliasOffset ?? 0n
    if (aliasOffset < 0n || aliasOffset > U64_MAX)
      return E.left(invalid(id, `alias ${spec.name}: offset out of 64 bits`))
    const r: Region = {
      id,
      name: spec.name,
      kind: spec.kind,
      size,
      addr: 0n,
      priority: 0,
      enabled: spec.enabled ?? true,
      mayOverlap: false,
      readonly: spec.readonly ?? false,
      romd: spec.romd ?? true,
      nonvolatile: spec.nonvolatile ?? false,
      ...(spec.aliasTarget === undefined ? {} : { aliasTarget: spec.aliasTarget }),
      aliasOffset,
      ...(spec.ramBlock === undefined ? {} : { ramBlock: spec.ramBlock }),
      dirtyLog: spec.dirtyLog ?? 0,
      subregions: [],
    }
    return E.right({ topology: { ...put(t, r), nextId: t.nextId + 1 }, id })
  }

/** Whether `ancestor` is `id` or contains it, through containers. */
const isWithin = (t: Topology, id: RegionId, ancestor: RegionId): boolean => {
  let steps = 0
  for (let cur: RegionId | undefined = id; cur !== undefined; cur = t.regions.get(cur)?.container) {
    if (cur === ancestor) return true
    // a containment loop not through `ancestor` (only possible in unchecked input)
    if (++steps > t.regions.size) return true
  }
  return false
}

/** Inserts `sub` into `siblings` as QEMU's `memory_region_update_container_subregions` does. */
const insertByPriority = (
  t: Topology,
  siblings: ReadonlyArray<RegionId>,
  sub: Region,
): ReadonlyArray<RegionId> => {
  const at = siblings.findIndex((s) => (t.regions.get(s)?.priority ?? 0) <= sub.priority)
  return at < 0 ? [...siblings, sub.id] : [...siblings.slice(0, at), sub.id, ...siblings.slice(at)]
}

/**
 * Maps `sub` into `container` at `addr` with `priority` (QEMU
 * `memory_region_add_subregion_overlap`; `memory_region_add_subregion` is priority 0 with
 * `overlap: false`).
 *
 * @example
 * import { topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const t0 = topology.empty()
 * const sys = topology.addRegion({ name: 'system', kind: 'container', size: 1n << 64n })(t0)
 * assert.ok(either.isRight(sys))
 * const ram = topology.addRegion({ name: 'pc.ram', kind: 'ram', size: 0x8000000n })(sys.right.topology)
 * assert.ok(either.isRight(ram))
 * const t = pipe(ram.right.topology, topology.addSubregion(sys.right.id, ram.right.id, 0n))
 * assert.ok(either.isRight(t))
 * assert.deepEqual(t.right.regions.get(sys.right.id)?.subregions, [ram.right.id])
 */
export const addSubregion =
  (container: RegionRef, sub: RegionRef, addr: bigint, priority = 0, overlap = priority !== 0) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.chain((c: Region) =>
      E.chain((s: Region) => addSubregionImpl(t, c.id, s.id, addr, priority, overlap))(get(t, sub)),
    )(get(t, container))

const addSubregionImpl = (
  t: Topology,
  containerId: RegionId,
  subId: RegionId,
  addr: bigint,
  priority: number,
  overlap: boolean,
): E.Either<TopologyError, Topology> => {
  const c = t.regions.get(containerId)
  const s = t.regions.get(subId)
  if (c === undefined) return E.left(noSuch(containerId))
  if (s === undefined) return E.left(noSuch(subId))
  if (s.container !== undefined)
    return E.left({
      _tag: 'AlreadyMapped',
      id: subId,
      message: `region ${s.name} is already in container ${t.regions.get(s.container)?.name ?? s.container}`,
    })
  if (c.kind === 'alias')
    return E.left({
      _tag: 'AliasHasSubregions',
      id: containerId,
      message: `cannot add ${s.name} to alias ${c.name}: aliases have no subregions`,
    })
  if (isWithin(t, containerId, subId) || reachesThroughAliases(t, subId, containerId))
    return E.left({
      _tag: 'Cycle',
      id: subId,
      message: `adding ${s.name} to ${c.name} would make a cycle`,
    })
  if (addr < 0n || addr > U64_MAX)
    return E.left(invalid(subId, `address of ${s.name} out of 64 bits`))
  const moved: Region = { ...s, container: containerId, addr, priority, mayOverlap: overlap }
  const withSub = { ...t, regions: new Map(t.regions).set(subId, moved) }
  return E.right(put(withSub, { ...c, subregions: insertByPriority(withSub, c.subregions, moved) }))
}

/** Whether rendering `from` can reach `to` (through subregions and alias targets). */
const reachesThroughAliases = (t: Topology, from: RegionId, to: RegionId): boolean => {
  const seen = new Set<RegionId>()
  const stack = [from]
  while (stack.length > 0) {
    const id = stack.pop() as RegionId
    if (id === to) return true
    if (seen.has(id)) continue
    seen.add(id)
    const r = t.regions.get(id)
    if (r === undefined) continue
    stack.push(...r.subregions)
    if (r.aliasTarget !== undefined) stack.push(r.aliasTarget)
  }
  return false
}

/** Unmaps `sub` from its container (QEMU `memory_region_del_subregion`). */
export const removeSubregion =
  (sub: RegionRef) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.chain((s: Region) => {
      if (s.container === undefined)
        return E.left<TopologyError, Topology>({
          _tag: 'NotMapped',
          id: s.id,
          message: `region ${s.name} is not in a container`,
        })
      const c = t.regions.get(s.container)
      if (c === undefined) return E.left(noSuch(s.container))
      const { container: _c, ...rest } = s
      return E.right(put(t, rest, { ...c, subregions: c.subregions.filter((x) => x !== s.id) }))
    })(get(t, sub))

/**
 * Moves a region within its container (QEMU `memory_region_set_address`: a BAR move). A
 * mapped region is removed and re-added with its priority, so it goes to the front of its
 * equal-priority siblings; an unmapped one only changes its `addr`.
 *
 * @example
 * import { topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const t = pipe(
 *   topology.empty(),
 *   topology.addRegion({ name: 'pci', kind: 'container', size: 1n << 64n }),
 *   either.chain(({ topology: t1, id: pci }) => pipe(
 *     topology.addRegion({ name: 'vga.vram', kind: 'ram', size: 0x1000000n })(t1),
 *     either.chain(({ topology: t2, id: vram }) => pipe(
 *       t2,
 *       topology.addSubregion(pci, vram, 0xfd000000n, 1),
 *       either.chain(topology.setAddress(vram, 0xe0000000n)),
 *       either.map((t3) => t3.regions.get(vram)?.addr),
 *     )),
 *   )),
 * )
 * assert.deepEqual(t, either.right(0xe0000000n))
 */
export const setAddress =
  (ref: RegionRef, addr: bigint) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.chain((r: Region) => {
      if (r.addr === addr) return E.right(t)
      if (r.container === undefined) return E.right(put(t, { ...r, addr }))
      const container = r.container
      return E.chain((t1: Topology) =>
        addSubregionImpl(t1, container, r.id, addr, r.priority, r.mayOverlap),
      )(removeSubregion(r.id)(t))
    })(get(t, ref))

const setField =
  <K extends 'enabled' | 'readonly' | 'romd' | 'nonvolatile' | 'dirtyLog'>(field: K) =>
  (ref: RegionRef, value: Region[K]) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.map((r: Region) => (r[field] === value ? t : put(t, { ...r, [field]: value })))(get(t, ref))

/** Enables or disables a region and its subtree (QEMU `memory_region_set_enabled`). */
export const setEnabled = setField('enabled')
/** Makes a region read-only or writable (QEMU `memory_region_set_readonly`). */
export const setReadonly = setField('readonly')
/** Switches a ROM device's romd mode (QEMU `memory_region_rom_device_set_romd`). */
export const setRomd = setField('romd')
/** Sets the nonvolatile flag (QEMU `memory_region_set_nonvolatile`). */
export const setNonvolatile = setField('nonvolatile')
/** Sets the explicit dirty-log clients (QEMU `memory_region_set_log`, VGA only). */
export const setDirtyLog = setField('dirtyLog')

/** Changes an alias's offset into its target (QEMU `memory_region_set_alias_offset`). */
export const setAliasOffset =
  (ref: RegionRef, offset: bigint) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.chain((r: Region) =>
      r.kind !== 'alias'
        ? E.left<TopologyError, Topology>({
            _tag: 'NotAnAlias',
            id: r.id,
            message: `region ${r.name} is not an alias`,
          })
        : offset < 0n || offset > U64_MAX
          ? E.left(invalid(r.id, `alias ${r.name}: offset out of 64 bits`))
          : E.right(r.aliasOffset === offset ? t : put(t, { ...r, aliasOffset: offset })),
    )(get(t, ref))

/** Resizes a region (QEMU `memory_region_set_size`; `UINT64_MAX` means 2^64). */
export const setSize =
  (ref: RegionRef, size: bigint) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.chain((r: Region) => {
      const s = normaliseSize(size)
      if (s < 0n || s > TWO_64)
        return E.left<TopologyError, Topology>(invalid(r.id, `size out of [0, 2^64]`))
      return E.right(r.size === s ? t : put(t, { ...r, size: s }))
    })(get(t, ref))

/** Registers an address space over `root` (QEMU `address_space_init`). */
export const addAddressSpace =
  (name: string, root: RegionRef) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    E.map((r: Region) => ({ ...t, addressSpaces: [...t.addressSpaces, { name, root: r.id }] }))(
      get(t, root),
    )

/**
 * One region of a bulk build: like {@link RegionSpec}, with its place given by the index of
 * another entry of the same array, or by that entry's name (which must then be unique in
 * the array).
 */
export interface BulkRegion extends RegionSpec {
  /** The container, if mapped: an index into the array or a name in it. */
  readonly parent?: number | string
  readonly addr?: bigint
  readonly priority?: number
  /** The alias target (instead of `aliasTarget`): an index into the array or a name in it. */
  readonly aliasOf?: number | string
}

/**
 * Builds a topology from a flat list in one pass: the region at index `i` gets id
 * `i + 1`, and each container's subregions are ordered as if the regions had been added
 * one by one in array order (descending priority, newest first among equals). Much
 * faster than repeated {@link addSubregion} for large synthetic maps.
 *
 * @example
 * import { topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = topology.fromRegions(
 *   [
 *     { name: 'system', kind: 'container', size: 1n << 64n },
 *     { name: 'ram', kind: 'ram', size: 0x100000n, parent: 'system' },
 *     { name: 'hole', kind: 'io', size: 0x20000n, parent: 'system', addr: 0xa0000n, priority: 1 },
 *   ],
 *   [{ name: 'memory', root: 'system' }],
 * )
 * assert.ok(either.isRight(t))
 * assert.deepEqual(t.right.regions.get(1)?.subregions, [3, 2])
 */
export const fromRegions = (
  specs: ReadonlyArray<BulkRegion>,
  addressSpaces: ReadonlyArray<{ readonly name: string; readonly root: number | string }> = [],
): E.Either<TopologyError, Topology> => {
  const regions = new Map<RegionId, Region>()
  const children = new Map<number, number[]>()
  const byName = new Map<string, number>()
  for (const [i, s] of specs.entries()) byName.set(s.name, byName.has(s.name) ? -1 : i)
  // a name stands for the index of the one entry so named; -2 when none or several are
  const indexOf = (ref: number | string | undefined): number | undefined =>
    typeof ref === 'string' ? (byName.get(ref) ?? -2) : ref
  const badRef = (id: RegionId, s: BulkRegion, field: string, ref: string, idx: number) =>
    E.left(
      invalid(
        id,
        `region ${s.name}: ${field} ${JSON.stringify(ref)} names ${idx === -1 ? 'several regions' : 'no region'} of the list`,
      ),
    )
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i] as BulkRegion
    const id = (i + 1) as RegionId
    const parent = indexOf(s.parent)
    const target = indexOf(s.aliasOf)
    if (typeof s.parent === 'string' && parent !== undefined && parent < 0)
      return badRef(id, s, 'parent', s.parent, parent)
    if (typeof s.aliasOf === 'string' && target !== undefined && target < 0)
      return badRef(id, s, 'aliasOf', s.aliasOf, target)
    const size = normaliseSize(s.size)
    if (size < 0n || size > TWO_64)
      return E.left(invalid(id, `region ${s.name}: size out of [0, 2^64]`))
    if (parent !== undefined) {
      if (parent < 0 || parent >= specs.length || parent === i || specs[parent]?.kind === 'alias')
        return E.left(invalid(id, `region ${s.name}: bad container index ${parent}`))
      const kids = children.get(parent)
      if (kids === undefined) children.set(parent, [i])
      else kids.push(i)
    }
    if (
      (s.kind === 'alias') !== (target !== undefined) ||
      (target !== undefined && (target < 0 || target >= specs.length))
    )
      return E.left(
        invalid(id, `region ${s.name}: an alias needs a valid aliasOf index, other kinds none`),
      )
    const addr = s.addr ?? 0n
    if (addr < 0n || addr > U64_MAX)
      return E.left(invalid(id, `address of ${s.name} out of 64 bits`))
    const r: { -readonly [K in keyof Region]: Region[K] } = {
      id,
      name: s.name,
      kind: s.kind,
      size,
      addr,
      priority: s.priority ?? 0,
      enabled: s.enabled ?? true,
      mayOverlap: (s.priority ?? 0) !== 0,
      readonly: s.readonly ?? false,
      romd: s.romd ?? true,
      nonvolatile: s.nonvolatile ?? false,
      aliasOffset: s.aliasOffset ?? 0n,
      dirtyLog: s.dirtyLog ?? 0,
      subregions: [],
    }
    if (target !== undefined) r.aliasTarget = (target + 1) as RegionId
    if (s.ramBlock !== undefined) r.ramBlock = s.ramBlock
    if (parent !== undefined) r.container = (parent + 1) as RegionId
    regions.set(id, r)
  }
  for (const [p, kids] of children) {
    const parent = regions.get((p + 1) as RegionId) as Region
    const order = [...kids].sort(
      (a, b) => (specs[b]?.priority ?? 0) - (specs[a]?.priority ?? 0) || b - a,
    )
    regions.set(parent.id, { ...parent, subregions: order.map((k) => (k + 1) as RegionId) })
  }
  const roots = addressSpaces.map((a) => indexOf(a.root) ?? -2)
  for (const [k, a] of addressSpaces.entries())
    if ((roots[k] ?? -2) < 0 || (roots[k] ?? -2) >= specs.length)
      return E.left({
        _tag: 'NoSuchName',
        name: String(a.root),
        message: `address space ${a.name}: root ${JSON.stringify(typeof a.root === 'string' ? a.root : String(a.root))} names no single region of the list`,
      })
  const t: Topology = {
    regions,
    addressSpaces: addressSpaces.map((a, k) => ({
      name: a.name,
      root: ((roots[k] ?? -2) + 1) as RegionId,
    })),
    nextId: specs.length + 1,
  }
  // containment must be a forest and rendering must never loop through an alias
  for (const r of regions.values()) {
    if (r.container !== undefined && isWithin(t, r.container, r.id))
      return E.left({ _tag: 'Cycle', id: r.id, message: `region ${r.name} contains itself` })
    if (r.aliasTarget !== undefined && reachesThroughAliases(t, r.aliasTarget, r.id))
      return E.left({ _tag: 'Cycle', id: r.id, message: `alias ${r.name} renders itself` })
  }
  for (const a of t.addressSpaces) if (!regions.has(a.root)) return E.left(noSuch(a.root))
  return E.right(t)
}
