/**
 * fast-check arbitraries for edits of a generated machine, the things that change a
 * guest's map at run time: a BAR move (`setAddress` of the machine's BAR, as a PCI config
 * write does), switching an alias on or off (a PAM or SMRAM register write enables one
 * alias and disables its sibling), moving an alias's window (`setAliasOffset`, as a
 * bridge or PAM remap does), and turning decoding of any region off and on. Every edit is
 * valid for the machine it was made for.
 *
 * @example
 * import { regionTree, edits } from 'ramaddr/arbitraries'
 * import { flatview } from 'ramaddr'
 * import fc from 'fast-check'
 * import * as either from 'fp-ts/lib/Either.js'
 * const arb = regionTree.machineWithBar.chain((m) => fc.tuple(fc.constant(m), edits.edits(m)))
 * fc.assert(fc.property(arb, ([m, es]) => {
 *   const t = edits.applyEdits(es)(m.topology)
 *   // Whatever the edits, the rendered view stays sorted and non-overlapping.
 *   return either.isRight(t) && flatview.render(m.root)(t.right).every((r, i, rs) => i === 0 || rs[i - 1].end <= r.start)
 * }), { numRuns: 50 })
 *
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type { RegionId } from '../region/region.js'
import { setAddress, setAliasOffset, setEnabled, type Topology } from '../region/topology.js'
import type { TopologyError } from '../region/errors.js'
import type { Machine } from './region-tree.js'

/** One edit. */
export type Edit =
  | { readonly _tag: 'Move'; readonly region: RegionId; readonly addr: bigint }
  | { readonly _tag: 'Enable'; readonly region: RegionId; readonly enabled: boolean }
  | { readonly _tag: 'AliasOffset'; readonly region: RegionId; readonly offset: bigint }

const PAGE = 0x1000n

/** Edits valid for `m`: BAR moves, alias switches and window moves, decode off/on. */
export const edit = (m: Machine): fc.Arbitrary<Edit> => {
  const regions = [...m.topology.regions.values()].filter((r) => r.id !== m.root)
  const aliases = regions.filter((r) => r.kind === 'alias' && r.aliasTarget !== undefined)
  const options: Array<fc.Arbitrary<Edit>> = []
  if (m.bar !== undefined) {
    const bar = m.bar
    options.push(
      fc
        .integer({ min: 0, max: 160 })
        .map((p): Edit => ({ _tag: 'Move', region: bar, addr: BigInt(p) * PAGE })),
    )
  }
  if (aliases.length > 0) {
    options.push(
      fc
        .tuple(fc.constantFrom(...aliases), fc.boolean())
        .map(([a, enabled]): Edit => ({ _tag: 'Enable', region: a.id, enabled })),
      fc.constantFrom(...aliases).chain((a) => {
        const target = m.topology.regions.get(a.aliasTarget as RegionId)
        const room =
          target === undefined || target.size <= a.size ? 0n : (target.size - a.size) / PAGE
        return fc
          .bigInt({ min: 0n, max: room })
          .map((p): Edit => ({ _tag: 'AliasOffset', region: a.id, offset: p * PAGE }))
      }),
    )
  }
  if (regions.length > 0)
    options.push(
      fc
        .tuple(fc.constantFrom(...regions), fc.boolean())
        .map(([r, enabled]): Edit => ({ _tag: 'Enable', region: r.id, enabled })),
    )
  return options.length === 0
    ? fc.constant<Edit>({ _tag: 'Enable', region: m.root, enabled: true })
    : fc.oneof(...options)
}

/** A sequence of up to `max` edits for `m`. */
export const edits = (m: Machine, max = 6): fc.Arbitrary<ReadonlyArray<Edit>> =>
  fc.array(edit(m), { maxLength: max })

/** Applies edits in order. */
export const applyEdits =
  (es: ReadonlyArray<Edit>) =>
  (t: Topology): E.Either<TopologyError, Topology> =>
    es.reduce<E.Either<TopologyError, Topology>>(
      (acc, e) =>
        E.chain((cur: Topology) =>
          e._tag === 'Move'
            ? setAddress(e.region, e.addr)(cur)
            : e._tag === 'Enable'
              ? setEnabled(e.region, e.enabled)(cur)
              : setAliasOffset(e.region, e.offset)(cur),
        )(acc),
      E.right(t),
    )
