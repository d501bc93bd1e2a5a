/**
 * fast-check arbitraries for the Xen layer, valid by construction: host p2ms built from
 * gaps and run lengths (sorted, non-overlapping, frames one-to-one), and views built by
 * applying random altp2m operations (set_mem_access, set_suppress_ve, change_gfn and its
 * revert) through the model itself, so every view is one Xen could reach. Operations Xen
 * refuses (-ESRCH on holes and non-RAM pages) are generated too and leave the view as Xen
 * leaves it. Shrinking works on the run and operation lists.
 *
 * @example
 * import { xen as xenArb } from 'ramaddr/arbitraries'
 * import * as xen from 'ramaddr/xen'
 * import fc from 'fast-check'
 * import * as either from 'fp-ts/lib/Either.js'
 * fc.assert(fc.property(xenArb.hostAndView(), ({ host, view }) => {
 *   const n = xen.normalise(host)(view)
 *   return either.isRight(n) && either.isRight(xen.denormalise(host)(n.right))
 * }), { numRuns: 50 })
 *
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gfn } from '../addresses/kinds.js'
import { ACCESS_NAMES, type Access } from '../xen/access.js'
import * as ops from '../xen/altp2m-ops.js'
import * as domain from '../xen/domain.js'
import type { Domain } from '../xen/domain.js'
import { fromRuns, gfns, lookup, type HostP2m, type P2mRunSpec } from '../xen/host-p2m.js'
import type { P2mType } from '../xen/p2m-type.js'
import { empty, type View } from '../xen/view.js'

/** Limits for {@link hostP2m}. */
export interface HostConstraints {
  /** At most this many runs (default 6). */
  readonly maxRuns?: number
  /** At most this many pages per run (default 16). */
  readonly maxRunPages?: number
}

/** Any access right (Xen `p2m_access_t`). */
export const access: fc.Arbitrary<Access> = fc.constantFrom(...ACCESS_NAMES)

const runType: fc.Arbitrary<P2mType> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<P2mType>('ram_rw') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<P2mType>('ram_ro', 'mmio_dm', 'mmio_direct', 'ram_logdirty'),
  },
)

/**
 * Host p2ms: runs separated by random holes, the first run RAM read-write, frames
 * allocated in increasing order with random gaps (so no frame is mapped twice).
 */
export const hostP2m = (c: HostConstraints = {}): fc.Arbitrary<HostP2m> =>
  fc
    .record({
      first: fc.bigInt({ min: 0n, max: 64n }),
      firstMfn: fc.bigInt({ min: 0n, max: 0x10000n }),
      runs: fc.array(
        fc.record({
          gap: fc.bigInt({ min: 0n, max: 4n }),
          mfnGap: fc.bigInt({ min: 0n, max: 64n }),
          count: fc.bigInt({ min: 1n, max: BigInt(c.maxRunPages ?? 16) }),
          type: runType,
          access: fc.oneof(
            { weight: 4, arbitrary: fc.constant<Access>('rwx') },
            { weight: 1, arbitrary: access },
          ),
          suppressVe: fc.oneof(
            { weight: 4, arbitrary: fc.constant(true) },
            { weight: 1, arbitrary: fc.constant(false) },
          ),
        }),
        { minLength: 1, maxLength: c.maxRuns ?? 6 },
      ),
    })
    .map(({ first, firstMfn, runs }) => {
      let gfn = first
      let mfn = firstMfn
      const specs: P2mRunSpec[] = runs.map((r, i) => {
        const s: P2mRunSpec = {
          gfn: gfn + r.gap,
          count: r.count,
          mfn: mfn + r.mfnGap,
          type: i === 0 ? 'ram_rw' : r.type,
          access: r.access,
          suppressVe: r.suppressVe,
        }
        gfn = s.gfn + s.count
        mfn = s.mfn + s.count
        return s
      })
      const h = fromRuns(specs)
      // Valid by construction; the fallback is never taken.
      return E.isRight(h)
        ? h.right
        : ({ _tag: 'HostP2m', runs: [], defaultAccess: 'rwx' } as HostP2m)
    })

/** One altp2m operation, with gfns as indexes into a pool chosen per host. */
export type OpSpec =
  | { readonly op: 'set_mem_access'; readonly i: number; readonly access: Access }
  | { readonly op: 'set_suppress_ve'; readonly i: number; readonly suppressVe: boolean }
  | {
      readonly op: 'change_gfn'
      readonly i: number
      readonly j: number
      readonly caller: ops.Caller
    }
  | { readonly op: 'revert'; readonly i: number }

/** Operation specs. */
export const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({ op: fc.constant('set_mem_access' as const), i: fc.nat(), access }),
  fc.record({ op: fc.constant('set_suppress_ve' as const), i: fc.nat(), suppressVe: fc.boolean() }),
  fc.record({
    op: fc.constant('change_gfn' as const),
    i: fc.nat(),
    j: fc.nat(),
    caller: fc.constantFrom<ops.Caller>('tool', 'guest'),
  }),
  fc.record({ op: fc.constant('revert' as const), i: fc.nat() }),
)

/** The gfns operations pick from: every mapped gfn and one hole past the end. */
const pool = (host: HostP2m): ReadonlyArray<Gfn> => {
  const gs = gfns(host)
  const last = gs[gs.length - 1] ?? Gfn.unsafe(0n)
  return [...gs, Gfn.unsafe(last + 1n)]
}

/** `view` after the operations, each applied as Xen would (refused ones change nothing). */
export const applyOps =
  (host: HostP2m, specs: ReadonlyArray<OpSpec>) =>
  (view: View): View => {
    const p = pool(host)
    const at = (i: number): Gfn => p[i % p.length] as Gfn
    return specs.reduce((v, s) => {
      switch (s.op) {
        case 'set_mem_access':
          return ops.setMemAccess(host, at(s.i), s.access)(v)
        case 'set_suppress_ve':
          return E.getOrElse(() => v)(ops.setSuppressVe(host, at(s.i), s.suppressVe)(v))
        case 'change_gfn':
          return E.getOrElse(() => v)(ops.changeGfn(host, at(s.i), O.some(at(s.j)), s.caller)(v))
        case 'revert':
          return E.getOrElse(() => v)(ops.changeGfn(host, at(s.i), O.none)(v))
      }
    }, view)
  }

/** Limits for views. */
export interface ViewConstraints {
  /** The view's index (default 1). */
  readonly index?: number
  /** At most this many operations (default 24). */
  readonly maxOps?: number
}

/** Views over `host` reached by random altp2m operations from an empty view. */
export const view = (host: HostP2m, c: ViewConstraints = {}): fc.Arbitrary<View> =>
  fc
    .record({
      defaultAccess: fc.oneof(
        { weight: 3, arbitrary: fc.constant<Access>('rwx') },
        { weight: 1, arbitrary: access },
      ),
      ops: fc.array(opSpec, { maxLength: c.maxOps ?? 24 }),
    })
    .map(({ defaultAccess, ops: specs }) =>
      applyOps(host, specs)(empty(c.index ?? 1, defaultAccess)),
    )

/** A host p2m and one view over it. */
export const hostAndView = (
  c: HostConstraints & ViewConstraints = {},
): fc.Arbitrary<{ readonly host: HostP2m; readonly view: View }> =>
  hostP2m(c).chain((host) => view(host, c).map((v) => ({ host, view: v })))

/** Domains: a host p2m and up to `maxViews` (default 3) views, created in order. */
export const domainArb = (
  c: HostConstraints & ViewConstraints & { readonly maxViews?: number } = {},
): fc.Arbitrary<Domain> =>
  hostP2m(c).chain((host) =>
    fc
      .array(
        fc.record({ defaultAccess: access, ops: fc.array(opSpec, { maxLength: c.maxOps ?? 24 }) }),
        { maxLength: c.maxViews ?? 3 },
      )
      .map((specs) => {
        const d0: Domain = {
          _tag: 'Domain',
          host,
          nrAltp2m: 10,
          views: [],
          logDirty: O.none,
          passthrough: false,
          viewsDropped: O.none,
        }
        return specs.reduce((d, s) => {
          const created = domain.createView(s.defaultAccess)(d)
          if (E.isLeft(created)) return d
          const { domain: nd, index } = created.right
          const r = domain.modifyView(index, (v) => E.right(applyOps(host, s.ops)(v)))(nd)
          return E.isRight(r) ? r.right : nd
        }, d0)
      }),
  )

/** Whether `gfn` is mapped by `host` (helper for properties). */
export const mapped = (host: HostP2m, gfn: Gfn): boolean => O.isSome(lookup(gfn)(host))
