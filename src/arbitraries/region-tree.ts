/**
 * fast-check arbitraries for region trees, valid by construction: every tree is built
 * through the topology edit API (create + addSubregion), aliases point only at a pool of
 * alias targets (so no alias cycles), sizes are whole pages; overlaps, priorities,
 * disabled regions, aliases into RAM and containers, and a BAR in a `pci` container
 * (priority -1 under the root, as on a PC) are all generated. Shrinking works on the
 * specs, so counterexamples come out small.
 *
 * @example
 * import { regionTree } from 'ramaddr/arbitraries'
 * import { flatview } from 'ramaddr'
 * import fc from 'fast-check'
 * fc.assert(fc.property(regionTree.machine, (m) => {
 *   const ranges = flatview.render(m.root)(m.topology)
 *   return ranges.every((r, i) => i === 0 || ranges[i - 1].end <= r.start)
 * }), { numRuns: 50 })
 *
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import * as topology from '../region/index.js'
import type { RegionId, RegionKind } from '../region/region.js'
import type { Topology } from '../region/topology.js'

const PAGE = 0x1000n

/** A node to build. */
export type NodeSpec =
  | {
      kind: 'ram'
      pages: number
      addrPages: number
      priority: number
      enabled: boolean
      readonly: boolean
    }
  | {
      kind: 'io'
      pages: number
      addrPages: number
      priority: number
      enabled: boolean
      children: NodeSpec[]
    }
  | {
      kind: 'container'
      pages: number
      addrPages: number
      priority: number
      enabled: boolean
      children: NodeSpec[]
    }
  | {
      kind: 'alias'
      pages: number
      addrPages: number
      priority: number
      enabled: boolean
      target: number
      offsetPages: number
      readonly: boolean
    }

const common = {
  pages: fc.integer({ min: 1, max: 64 }),
  addrPages: fc.integer({ min: 0, max: 96 }),
  priority: fc.integer({ min: -1, max: 2 }),
  enabled: fc.boolean(),
}

const enabledArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(true) },
  { weight: 1, arbitrary: fc.constant(false) },
)

const { node } = fc.letrec<{ node: NodeSpec; children: NodeSpec[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('ram' as const),
      ...common,
      enabled: enabledArb,
      readonly: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('io' as const),
      ...common,
      enabled: enabledArb,
      children: tie('children'),
    }),
    fc.record({
      kind: fc.constant('container' as const),
      ...common,
      enabled: enabledArb,
      children: tie('children'),
    }),
    fc.record({
      kind: fc.constant('alias' as const),
      ...common,
      enabled: enabledArb,
      target: fc.nat(3),
      offsetPages: fc.integer({ min: 0, max: 32 }),
      readonly: fc.boolean(),
    }),
  ),
  children: fc.array(tie('node'), { maxLength: 4 }),
}))

/** A whole machine: pool regions (alias targets), a root tree, and a BAR in a `pci` container. */
export interface MachineSpec {
  readonly pool: ReadonlyArray<{
    pages: number
    container: boolean
    children: NodeSpec[]
    /** The region's own address: in `pci` when mapped there, else just its `addr` field. */
    addrPages: number
    mapInPci: boolean
  }>
  readonly tree: ReadonlyArray<NodeSpec>
  readonly bar: { pages: number; addrPages: number } | undefined
  readonly pciChildren: ReadonlyArray<NodeSpec>
}

/** Specs of random machines (shrinkable), before building. */
export const machineSpec: fc.Arbitrary<MachineSpec> = fc.record({
  pool: fc.array(
    fc.record({
      pages: fc.integer({ min: 1, max: 128 }),
      container: fc.boolean(),
      children: fc.array(
        node.filter((n) => n.kind !== 'alias'),
        { maxLength: 3 },
      ),
      addrPages: fc.integer({ min: 0, max: 96 }),
      mapInPci: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  tree: fc.array(node, { maxLength: 6 }),
  bar: fc.option(
    fc.record({
      pages: fc.integer({ min: 1, max: 16 }),
      addrPages: fc.integer({ min: 0, max: 128 }),
    }),
    { nil: undefined },
  ),
  pciChildren: fc.array(
    node.filter((n) => n.kind !== 'alias'),
    { maxLength: 3 },
  ),
})

/** What was built: the topology, its root, the BAR (if any) and the pci container. */
export interface Machine {
  readonly topology: Topology
  readonly root: RegionId
  readonly bar: RegionId | undefined
  readonly pci: RegionId
  /** RAM-backed regions and the RAMBlock idstr each was given. */
  readonly ramBlocks: ReadonlyMap<string, bigint>
}

/** Specs are valid by construction, so an edit error is a bug in this module. */
const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(`ramaddr/arbitraries: ${r.left.message}`)
  return r.right
}

/**
 * Builds a spec through the edit API; an error only if the spec was not made by
 * {@link machineSpec} and breaks an edit rule.
 */
export const buildMachine = (
  spec: MachineSpec,
): E.Either<{ readonly message: string }, Machine> => {
  try {
    return E.right(buildOrThrow(spec))
  } catch (e) {
    return E.left({ message: e instanceof Error ? e.message : String(e) })
  }
}

const buildOrThrow = (spec: MachineSpec): Machine => {
  let t = topology.empty()
  let n = 0
  const ramBlocks = new Map<string, bigint>()
  const make = (
    name: string,
    kind: RegionKind,
    size: bigint,
    extra: Partial<topology.RegionSpec> = {},
  ): RegionId => {
    const c = must(topology.addRegion({ name, kind, size, ...extra })(t))
    t = c.topology
    return c.id
  }
  const pool: RegionId[] = []
  const place = (parent: RegionId, s: NodeSpec): void => {
    const size = BigInt(s.pages) * PAGE
    const name = `${s.kind}${n++}`
    let id: RegionId
    if (s.kind === 'ram') {
      id = make(name, 'ram', size, { readonly: s.readonly, ramBlock: name })
      ramBlocks.set(name, size)
    } else if (s.kind === 'alias' && pool.length === 0) {
      // nothing to alias yet (inside the first pool region): an I/O region instead
      id = make(name, 'io', size)
    } else if (s.kind === 'alias') {
      const target = pool[s.target % pool.length] as RegionId
      id = make(name, 'alias', size, {
        aliasTarget: target,
        aliasOffset: BigInt(s.offsetPages) * PAGE,
        readonly: s.readonly,
      })
    } else {
      id = make(name, s.kind, size)
      for (const c of s.children) place(id, c)
    }
    if (!s.enabled) t = must(topology.setEnabled(id, false)(t))
    t = must(topology.addSubregion(parent, id, BigInt(s.addrPages) * PAGE, s.priority)(t))
  }
  for (const p of spec.pool) {
    const size = BigInt(p.pages) * PAGE
    const name = `pool${n++}`
    if (p.container) {
      const id = make(name, 'container', size)
      for (const c of p.children) place(id, c)
      pool.push(id)
    } else {
      pool.push(make(name, 'ram', size, { ramBlock: name }))
      ramBlocks.set(name, size)
    }
  }
  const root = make('system', 'container', 1n << 64n)
  for (const s of spec.tree) place(root, s)
  const pci = make('pci', 'container', 1n << 64n)
  t = must(topology.addSubregion(root, pci, 0n, -1)(t))
  for (const s of spec.pciChildren) place(pci, s)
  // alias targets have addresses of their own, mapped (like pc.bios under pci) or not
  spec.pool.forEach((p, i) => {
    const id = pool[i] as RegionId
    const addr = BigInt(p.addrPages) * PAGE
    t = must(
      p.mapInPci ? topology.addSubregion(pci, id, addr, 0)(t) : topology.setAddress(id, addr)(t),
    )
  })
  let bar: RegionId | undefined
  if (spec.bar !== undefined) {
    const size = BigInt(spec.bar.pages) * PAGE
    bar = make('bar', 'ram', size, { ramBlock: 'bar' })
    ramBlocks.set('bar', size)
    t = must(topology.addSubregion(pci, bar, BigInt(spec.bar.addrPages) * PAGE, 1)(t))
  }
  t = must(topology.addAddressSpace('memory', root)(t))
  return { topology: t, root, bar, pci, ramBlocks }
}

/** Random machines: a region tree with an address space `memory`, its RAMBlock sizes and a `pci` container. */
export const machine: fc.Arbitrary<Machine> = machineSpec.map(buildOrThrow)

/** Machines that always have a BAR to move. */
export const machineWithBar: fc.Arbitrary<Machine> = fc
  .tuple(
    machineSpec,
    fc.record({
      pages: fc.integer({ min: 1, max: 16 }),
      addrPages: fc.integer({ min: 0, max: 128 }),
    }),
  )
  .map(([spec, bar]) => buildOrThrow({ ...spec, bar }))
