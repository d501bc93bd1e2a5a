/**
 * fast-check arbitraries for mirror-VM plans over a main VM's address map: declared tuples
 * that are valid by construction (page-aligned pieces of distinct RAM-backed flat ranges,
 * mirror GPAs laid out without overlap from a base, or equal to the main GPAs for SEV-SNP),
 * and BAR moves to try against them.
 *
 * @example
 * import { mirror as mirrorArb } from 'ramaddr/arbitraries'
 * import { translate, mtree, infoRamblock, machines } from 'ramaddr'
 * import * as mirror from 'ramaddr/mirror'
 * import fc from 'fast-check'
 * const map = translate.make({ topology: mtree.parse(machines.Q35.mtree).right, ramList: infoRamblock.parse(machines.Q35.ramblock).right }).right
 * fc.assert(fc.property(mirrorArb.tuples(map, 1n << 40n), (tuples) =>
 *   mirror.plan({ map, scheme: { kind: 'tuples', tuples } }).violations.length === 0), { numRuns: 50 })
 *
 * @module
 */
import fc from 'fast-check'
import type { Gpa, MirrorGpa } from '../addresses/kinds.js'
import type { Tuple } from '../mirror/tuple.js'
import type { AddressMap } from '../translate/address-map.js'

/** Options for {@link tuples}. */
export interface TupleOptions {
  /** Map each tuple at its own main GPA (what SEV-SNP allows). */
  readonly identity?: boolean
  /** At most this many tuples (default 6). */
  readonly maxTuples?: number
  /** At most this many pages per tuple (default 64). */
  readonly maxPages?: number
}

/** Valid tuples over `map`'s RAM, mirrored from `base` upward 2 MiB-aligned. */
export const tuples = (
  map: AddressMap,
  base: bigint,
  o: TupleOptions = {},
): fc.Arbitrary<ReadonlyArray<Tuple>> => {
  const rams = map.view.ranges.flatMap((r, i) => {
    const lo = (r.start + 0xfffn) >> 12n
    const hi = r.end >> 12n
    return map.ramDelta[i] === undefined || hi <= lo ? [] : [{ lo, hi }]
  })
  if (rams.length === 0) return fc.constant([])
  return fc
    .uniqueArray(fc.nat({ max: rams.length - 1 }), {
      minLength: 1,
      maxLength: Math.min(o.maxTuples ?? 6, rams.length),
    })
    .chain((idx) =>
      fc.tuple(
        ...idx.map((i) => {
          const { lo, hi } = rams[i] as { lo: bigint; hi: bigint }
          return fc
            .tuple(
              fc.bigInt({ min: lo, max: hi - 1n }),
              fc.bigInt({ min: 1n, max: BigInt(o.maxPages ?? 64) }),
            )
            .map(([p, n]) => ({ start: p << 12n, length: ((p + n > hi ? hi : p + n) - p) << 12n }))
        }),
      ),
    )
    .map((pieces) => {
      let cursor = base
      return pieces.map((p): Tuple => {
        const mirrorGpa = (o.identity === true ? p.start : cursor) as MirrorGpa
        cursor += ((p.length + 0x1fffffn) >> 21n) << 21n
        return { mainGpa: p.start as Gpa, length: p.length, mirrorGpa }
      })
    })
}

/** A BAR move: one of the named regions to a page-aligned address in `[lo, hi)`. */
export const barMove = (
  names: ReadonlyArray<string>,
  lo = 0xe0000000n,
  hi = 0xfec00000n,
): fc.Arbitrary<{ readonly name: string; readonly addr: bigint }> =>
  fc.record({
    name: fc.constantFrom(...names),
    addr: fc.bigInt({ min: lo >> 12n, max: (hi >> 12n) - 1n }).map((p) => p << 12n),
  })
