/**
 * Learning from a flat view what `info mtree` does not say: which `i/o` regions with
 * subregions are terminating I/O regions (QEMU fills their gaps with themselves, as
 * `vga.mmio` and the ISA `io` space show) rather than pure containers.
 *
 * A flat range always names a terminating region, so a name that `info mtree -f` shows
 * as a range but that belongs only to containers in the tree must be a terminating I/O
 * region. Names shared with a region already terminating are left alone (ambiguous).
 *
 * The converse matters for `info mtree` without `-D`: a container whose subregions are
 * all disabled prints as a childless `i/o` line (the PCI `bus master container`, an
 * i440FX `smram`), which would otherwise be read as an I/O region. A childless I/O
 * region that this model renders somewhere QEMU's view does not show it is a container.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Region, RegionId } from '../region/region.js'
import { type Topology } from '../region/topology.js'
import { absoluteAddress } from '../region/region-ref.js'
import { renderAll } from '../flatview/flatview.js'
import {
  asKey,
  asRootText,
  groupByKey,
  renderedAddressSpaces,
  type FlatViewBlock,
} from './mtree-flat.js'

/** The names of regions that some flat range in `blocks` shows. */
export const rangeNames = (blocks: ReadonlyArray<FlatViewBlock>): ReadonlySet<string> =>
  new Set(blocks.flatMap((b) => b.ranges.map((r) => r.region)))

/**
 * Names the flat view proves to be terminating I/O regions, given a topology in which
 * they are all pure containers.
 */
export const terminatingNames =
  (blocks: ReadonlyArray<FlatViewBlock>) =>
  (t: Topology): ReadonlySet<string> => {
    const shown = rangeNames(blocks)
    const byName = new Map<string, Region[]>()
    // aliases never show as ranges, so they neither prove nor disprove anything here
    for (const r of t.regions.values())
      if (r.kind !== 'alias') {
        const same = byName.get(r.name)
        if (same === undefined) byName.set(r.name, [r])
        else same.push(r)
      }
    const out = new Set<string>()
    for (const name of shown) {
      const rs = byName.get(name) ?? []
      if (rs.length > 0 && rs.every((r) => r.kind === 'container' && r.placeholder !== true))
        out.add(name)
    }
    return out
  }

/**
 * Marks regions named in `names` that are containers as terminating I/O regions.
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse('address-space: I/O\n  0000000000000000-000000000000ffff (prio 0, i/o): io\n    0000000000000060-0000000000000060 (prio 0, i/o): i8042-data\n\n', { knowledge: mtree.NOTHING })
 * const f = mtree.parseFlat('FlatView #0\n AS "I/O", root: io\n Root memory region: io\n  0000000000000000-000000000000005f (prio 0, i/o): io\n\n')
 * assert.ok(either.isRight(t) && either.isRight(f))
 * assert.equal(topology.byName('io')(t.right)[0]?.kind, 'container')
 * const learned = mtree.learn(f.right)(t.right)
 * assert.equal(topology.byName('io')(learned)[0]?.kind, 'io')
 */
export const markTerminating =
  (names: ReadonlySet<string>) =>
  (t: Topology): Topology => {
    const regions = new Map(t.regions)
    for (const r of t.regions.values())
      if (names.has(r.name) && r.kind === 'container' && r.placeholder !== true)
        regions.set(r.id, { ...r, kind: 'io' })
    return { ...t, regions }
  }

/**
 * Names of childless I/O regions that this model renders in an address space where QEMU's
 * view (the same address space in `blocks`) shows no range of that name at all: an empty
 * container prints like a childless I/O region. (A region shown somewhere in the view is
 * not one, even where the model renders it at the wrong place: that is an order question,
 * see {@link learnOrder}.)
 */
export const falseLeafNames =
  (blocks: ReadonlyArray<FlatViewBlock>) =>
  (t: Topology): ReadonlySet<string> => {
    // the region names each listed address space shows (address spaces may repeat a key)
    const namesByKey = new Map<string, Set<string>>()
    for (const b of blocks)
      for (const a of b.addressSpaces) {
        const key = asKey(a.name, a.root)
        const names = namesByKey.get(key) ?? new Set<string>()
        for (const r of b.ranges) names.add(r.region)
        namesByKey.set(key, names)
      }
    const out = new Set<string>()
    for (const v of renderAll({})(t)) {
      const shown = v.addressSpaces
        .map((a) => namesByKey.get(asKey(a.name, asRootText(t, a.root))))
        .find((l) => l !== undefined)
      if (shown === undefined) continue
      for (const r of v.view.ranges) {
        const mr = t.regions.get(r.region)
        if (mr === undefined || mr.kind !== 'io' || mr.subregions.length > 0) continue
        if (!shown.has(mr.name)) out.add(mr.name)
      }
    }
    for (const name of [...out])
      if (
        [...t.regions.values()].some(
          (r) =>
            r.name === name &&
            r.kind !== 'alias' &&
            !(r.kind === 'io' && r.subregions.length === 0),
        )
      )
        out.delete(name)
    return out
  }

/** Marks childless I/O regions named in `names` as pure containers. */
export const markContainers =
  (names: ReadonlySet<string>) =>
  (t: Topology): Topology => {
    const regions = new Map(t.regions)
    for (const r of t.regions.values())
      if (names.has(r.name) && r.kind === 'io' && r.subregions.length === 0)
        regions.set(r.id, { ...r, kind: 'container' })
    return { ...t, regions }
  }

/** What a flat view taught: names to treat as terminating I/O regions, and as containers. */
export interface LearnedFacts {
  readonly terminating: ReadonlySet<string>
  readonly containers: ReadonlySet<string>
}

/**
 * Learns both ways from a flat view of the same machine state: containers that
 * terminate ({@link terminatingNames}) and childless I/O lines that are containers
 * ({@link falseLeafNames}), repeated until nothing changes. The facts are names, so they
 * carry over to later states of the same machine ({@link applyFacts}).
 */
export const learnFacts =
  (blocks: ReadonlyArray<FlatViewBlock>) =>
  (t: Topology): LearnedFacts => {
    const terminating = terminatingNames(blocks)(t)
    let cur = markTerminating(terminating)(t)
    const containers = new Set<string>()
    for (let i = 0; i < 8; i++) {
      const names = falseLeafNames(blocks)(cur)
      if (names.size === 0) break
      for (const n of names) containers.add(n)
      cur = markContainers(names)(cur)
    }
    return { terminating, containers }
  }

/** Applies learned facts to a topology (of the same or a later state of the machine). */
export const applyFacts =
  (facts: LearnedFacts) =>
  (t: Topology): Topology =>
    markContainers(facts.containers)(markTerminating(facts.terminating)(t))

/** Learns from a flat view of this very state (terminating I/O regions, and I/O lines that are containers) and applies it; unchecked, see {@link fromSameState}. */
export const learn =
  (blocks: ReadonlyArray<FlatViewBlock>) =>
  (t: Topology): Topology =>
    applyFacts(learnFacts(blocks)(t))(t)

/** A flat view that the tree does not explain: not a view of the same state. */
export interface FlatViewMismatch {
  readonly _tag: 'FlatViewMismatch'
  /** The address space (`AS "NAME", root: ROOT`). */
  readonly addressSpace: string
  /** 1-based line of the flat view's text where it parts from the tree's rendering. */
  readonly line: number
  /** QEMU's range line there, if any. */
  readonly qemu: string | undefined
  /** The tree's range line there, if any. */
  readonly tree: string | undefined
  readonly message: string
}

/** What learning from a flat view of the same state gave. */
export interface Learned {
  /** The topology with what the view taught (kinds of regions). */
  readonly topology: Topology
  /** `kvm` when the view carries QEMU's ` KVM` markers, else `tcg`. */
  readonly accel: 'tcg' | 'kvm'
}

/**
 * Learns from `info mtree -f` of the very state the tree shows, and checks that it is one:
 * after learning, the tree must render every address space the view lists exactly as QEMU
 * did (markers included; the accelerator is read off them). The first range that does not
 * fit is an error naming its line, so a view of another state (a BAR not yet mapped, a
 * device not yet added) is refused instead of teaching the tree wrong facts.
 *
 * @example
 * import { mtree } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse('address-space: I/O\n  0000000000000000-000000000000ffff (prio 0, i/o): io\n    0000000000000060-0000000000000060 (prio 0, i/o): i8042-data\n\n')
 * const same = mtree.parseFlat('FlatView #0\n AS "I/O", root: io\n Root memory region: io\n  0000000000000000-000000000000005f (prio 0, i/o): io\n  0000000000000060-0000000000000060 (prio 0, i/o): i8042-data\n  0000000000000061-000000000000ffff (prio 0, i/o): io @0000000000000061\n\n')
 * // a later state: a speaker at port 0x61 the tree does not have
 * const other = mtree.parseFlat('FlatView #0\n AS "I/O", root: io\n Root memory region: io\n  0000000000000000-000000000000005f (prio 0, i/o): io\n  0000000000000060-0000000000000060 (prio 0, i/o): i8042-data\n  0000000000000061-0000000000000061 (prio 0, i/o): pcspk\n  0000000000000062-000000000000ffff (prio 0, i/o): io @0000000000000062\n\n')
 * assert.ok(either.isRight(t) && either.isRight(same) && either.isRight(other))
 * assert.ok(either.isRight(mtree.fromSameState(same.right)(t.right)))
 * const refused = mtree.fromSameState(other.right)(t.right)
 * assert.ok(either.isLeft(refused))
 * assert.equal(refused.left.line, 6)
 */
export const fromSameState =
  (blocks: ReadonlyArray<FlatViewBlock>) =>
  (t: Topology): E.Either<FlatViewMismatch, Learned> => {
    const accel = blocks.some((b) => b.ranges.some((r) => r.markers.includes('KVM')))
      ? 'kvm'
      : 'tcg'
    const learned = learnOrder(blocks)(learn(blocks)(t))
    // rendered lists by key; a key repeats where address spaces share a name and root
    const got: Map<string, Array<ReadonlyArray<string> | undefined>> = groupByKey(
      renderedAddressSpaces({ accel })(learned),
    )
    for (const b of blocks)
      for (const as of b.addressSpaces) {
        // a view of QEMU 2.9 or 2.10 names no root: match the address space by name
        const key =
          as.root === ''
            ? ([...got.keys()].find((k) => k.startsWith(`AS "${as.name}", root: `)) ??
              asKey(as.name, as.root))
            : asKey(as.name, as.root)
        const want = b.ranges.map((r) => r.text.slice(2))
        const candidates = got.get(key) ?? []
        const exact = candidates.findIndex(
          (c) => c !== undefined && c.length === want.length && c.every((l, i) => l === want[i]),
        )
        if (exact >= 0) {
          candidates[exact] = undefined // each rendered address space answers one listed one
          continue
        }
        const lines = candidates.find((c) => c !== undefined)
        const mismatch = (
          line: number,
          qemu: string | undefined,
          tree: string | undefined,
        ): E.Either<FlatViewMismatch, Learned> =>
          E.left({
            _tag: 'FlatViewMismatch',
            addressSpace: key,
            line,
            qemu,
            tree,
            message:
              lines === undefined
                ? `line ${line}: the tree has no address space ${as.name} with root ${as.root}; the flat view is not of the same state`
                : `line ${line}: in ${as.name} QEMU shows ${qemu === undefined ? 'no more ranges' : JSON.stringify(qemu.trim())} where the tree renders ${tree === undefined ? 'no more ranges' : JSON.stringify(tree)}; the flat view is not of the same state`,
          })
        if (lines === undefined) return mismatch(b.line, undefined, undefined)
        const n = Math.max(lines.length, want.length)
        for (let i = 0; i < n; i++)
          if (want[i] !== lines[i])
            return mismatch(
              b.ranges[i]?.line ?? (b.ranges[b.ranges.length - 1]?.line ?? b.line) + 1,
              b.ranges[i]?.text,
              lines[i],
            )
      }
    return E.right({ topology: learned, accel })
  }

const terminal = (r: Region): boolean => r.kind !== 'container' && r.kind !== 'alias'

/**
 * Learns, from a flat view of the same state, which of two overlapping siblings of equal
 * priority QEMU put first, which `info mtree` cannot show: QEMU inserts a subregion before
 * the first sibling of equal or lower priority (`memory_region_update_container_subregions`,
 * softmmu/memory.c), so of two equals the one added last wins the overlap, while the text
 * lists them by address. Where the view shows the later-listed one of two terminating
 * regions inside their overlap and not the earlier one, the later one is moved in front.
 * Containers and aliases are left alone (their own names never show as ranges).
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * // hppa B160L: the LASI chip's I/O region and the parallel port inside its range
 * const t = mtree.parse('address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    00000000ffd00000-00000000ffdfffff (prio 0, i/o): lasi\n    00000000ffd02800-00000000ffd02807 (prio 0, i/o): parallel\n\n')
 * const f = mtree.parseFlat('FlatView #0\n AS "memory", root: system\n Root memory region: system\n  00000000ffd00000-00000000ffd027ff (prio 0, i/o): lasi\n  00000000ffd02800-00000000ffd02807 (prio 0, i/o): parallel\n  00000000ffd02808-00000000ffdfffff (prio 0, i/o): lasi @0000000000002808\n\n')
 * assert.ok(either.isRight(t) && either.isRight(f))
 * const system = topology.byName('system')(mtree.learnOrder(f.right)(t.right))[0]
 * assert.deepEqual(system?.subregions.length, 2)
 * assert.ok(either.isRight(mtree.fromSameState(f.right)(t.right)))
 */
export const learnOrder =
  (blocks: ReadonlyArray<FlatViewBlock>) =>
  (t: Topology): Topology => {
    // a range names its region and, through its offset, where the region starts: so two
    // regions of one name (the dma-pageh pairs of an i82378) are told apart
    const shown = new Map<string, Array<readonly [bigint, bigint]>>()
    for (const b of blocks)
      for (const r of b.ranges) {
        const key = `${r.region}@${BigInt.asUintN(64, r.start - r.offset)}`
        const list = shown.get(key)
        if (list === undefined) shown.set(key, [[r.start, r.end]])
        else list.push([r.start, r.end])
      }
    const showsIn = (r: Region, start: bigint, lo: bigint, hi: bigint): boolean =>
      (shown.get(`${r.name}@${BigInt.asUintN(64, start)}`) ?? []).some(([s, e]) => s < hi && lo < e)
    let regions: Map<RegionId, Region> | undefined
    for (const c of t.regions.values()) {
      if (c.subregions.length < 2) continue
      const kids = c.subregions
        .map((id) => t.regions.get(id))
        .filter((k): k is Region => k !== undefined && k.enabled && k.size > 0n)
      const byAddress = [...kids].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0))
      const base = absoluteAddress(c.id)(t)
      let order = [...c.subregions]
      // sweep in address order: each region against the earlier ones still open
      const open: Region[] = []
      for (const k of byAddress) {
        for (let i = open.length - 1; i >= 0; i--)
          if ((open[i] as Region).addr + (open[i] as Region).size <= k.addr) open.splice(i, 1)
        for (const o of open) {
          if (o.priority !== k.priority || !terminal(o) || !terminal(k)) continue
          const lo = base + k.addr
          const hi = base + (o.addr + o.size < k.addr + k.size ? o.addr + o.size : k.addr + k.size)
          const [first, second] = order.indexOf(o.id) < order.indexOf(k.id) ? [o, k] : [k, o]
          if (
            showsIn(second, base + second.addr, lo, hi) &&
            !showsIn(first, base + first.addr, lo, hi)
          ) {
            order = order.filter((id) => id !== second.id)
            order.splice(order.indexOf(first.id), 0, second.id)
          }
        }
        open.push(k)
      }
      if (order.some((id, i) => id !== c.subregions[i])) {
        regions ??= new Map(t.regions)
        regions.set(c.id, { ...c, subregions: order })
      }
    }
    return regions === undefined ? t : { ...t, regions }
  }
