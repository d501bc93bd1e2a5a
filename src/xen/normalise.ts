/**
 * A view normalised against the host p2m: only what differs from it. This is the form the
 * seed thread proposes for migrating altp2m state (Tim Deegan, xen-devel, January 2015:
 * "normalize the altp2ms against the real one: … send only the access restrictions and #VE
 * bit, where they differ from the main p2m, and a gfn->gfn list of remappings"). Frames do
 * not survive a migration but gfns do, so a normalised view can be rebuilt against the
 * destination's host p2m. Xen itself has no such form; it is this project's.
 *
 * "What the view would hold anyway" for a gfn `g` remapped to `t` (or `t = g`) is the lazy
 * copy of the host entry of `t`: its frame and type, the view's default access, suppress
 * #VE set. A normalised view lists, ascending by gfn:
 * - `remaps`: `g -> t` where `g` shows the frame of another gfn `t` (Xen's change_gfn);
 * - `access`: the access where it is not the view's default access;
 * - `suppressVeClear`: gfns whose suppress-#VE bit is clear (the default is set).
 * Nothing else: an entry equal to the lazy copy leaves no trace ({@link normalise} is
 * minimal), and `denormalise(host)(normalise(host)(v))` is equivalent to `v`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Gfn } from '../addresses/kinds.js'
import type { Access } from './access.js'
import { hx, type UnbackedEntry } from './errors.js'
import { gfnsOfMfn, lookup, type HostP2m, type P2mEntry } from './host-p2m.js'
import type { View } from './view.js'

/** An access right that differs from the view's default. */
export interface AccessDiff {
  readonly gfn: Gfn
  readonly access: Access
}

/** A gfn -> gfn remap (Xen change_gfn): `gfn` shows the frame of `target`. */
export interface Remap {
  readonly gfn: Gfn
  readonly target: Gfn
}

/** A view as only what differs from the host p2m; every list ascending by gfn, no repeats. */
export interface NormalisedView {
  readonly index: number
  readonly defaultAccess: Access
  readonly remaps: ReadonlyArray<Remap>
  readonly access: ReadonlyArray<AccessDiff>
  readonly suppressVeClear: ReadonlyArray<Gfn>
}

const byGfn = (a: Gfn, b: Gfn): number => (a < b ? -1 : a > b ? 1 : 0)

const unbacked = (view: number, gfn: Gfn, why: string): UnbackedEntry => ({
  _tag: 'UnbackedEntry',
  view,
  gfn,
  message: `view ${view}, gfn ${hx(gfn)}: ${why}`,
})

/** The host gfn whose frame and type an entry at `gfn` shows: `gfn` itself if it can be. */
const sourceOf = (host: HostP2m, gfn: Gfn, e: P2mEntry): O.Option<Gfn> => {
  const own = lookup(gfn)(host)
  if (O.isSome(own) && own.value.mfn === e.mfn && own.value.type === e.type) return O.some(gfn)
  for (const g of gfnsOfMfn(e.mfn)(host)) {
    const h = lookup(g)(host)
    if (O.isSome(h) && h.value.type === e.type) return O.some(g)
  }
  return O.none
}

/**
 * The view as what differs from `host`. Fails if an entry shows a frame the host maps at
 * no gfn with that type (a view no sequence of altp2m operations on this host produces).
 * Where the host maps one frame at several gfns, the remap names the lowest.
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 8n, mfn: 0x100n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const h = host.right
 * const v = pipe(
 *   xen.view.empty(1, 'rwx'),
 *   xen.altp2mOps.setMemAccess(h, Gfn.unsafe(2n), 'rx'),
 *   xen.altp2mOps.setMemAccess(h, Gfn.unsafe(3n), 'rwx'), // same as the default: no trace
 *   xen.altp2mOps.changeGfn(h, Gfn.unsafe(4n), option.some(Gfn.unsafe(7n))),
 * )
 * assert.ok(either.isRight(v))
 * const n = xen.normalise(h)(v.right)
 * assert.deepEqual(n, either.right({
 *   index: 1, defaultAccess: 'rwx',
 *   remaps: [{ gfn: 4n, target: 7n }], access: [{ gfn: 2n, access: 'rx' }], suppressVeClear: [],
 * }))
 */
export const normalise =
  (host: HostP2m) =>
  (view: View): E.Either<UnbackedEntry, NormalisedView> => {
    const remaps: Remap[] = []
    const access: AccessDiff[] = []
    const sveClear: Gfn[] = []
    for (const g of [...view.entries.keys()].sort(byGfn)) {
      const e = view.entries.get(g) as P2mEntry
      const src = sourceOf(host, g, e)
      if (O.isNone(src))
        return E.left(
          unbacked(view.index, g, `frame ${hx(e.mfn)} (${e.type}) is mapped by no host gfn`),
        )
      if (src.value !== g) remaps.push({ gfn: g, target: src.value })
      if (e.access !== view.defaultAccess) access.push({ gfn: g, access: e.access })
      if (!e.suppressVe) sveClear.push(g)
    }
    return E.right({
      index: view.index,
      defaultAccess: view.defaultAccess,
      remaps,
      access,
      suppressVeClear: sveClear,
    })
  }

const ascending = (gs: ReadonlyArray<Gfn>): O.Option<number> => {
  for (let i = 1; i < gs.length; i++) if ((gs[i] as Gfn) <= (gs[i - 1] as Gfn)) return O.some(i)
  return O.none
}

/**
 * The view a normalised view stands for over `host`. Fails, naming the gfn, if a list is
 * not strictly ascending, or a gfn or remap target is not mapped by `host`. Holds an entry
 * only where the normalised view records something, so it is the smallest equivalent view.
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 8n, mfn: 0x100n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const v = xen.denormalise(host.right)({
 *   index: 1, defaultAccess: 'rwx', remaps: [{ gfn: 4n, target: 7n }], access: [], suppressVeClear: [4n],
 * })
 * assert.ok(either.isRight(v))
 * assert.deepEqual(v.right.entries.get(4n), { mfn: 0x107n, type: 'ram_rw', access: 'rwx', suppressVe: false })
 */
export const denormalise =
  (host: HostP2m) =>
  (n: NormalisedView): E.Either<UnbackedEntry, View> => {
    const lists: ReadonlyArray<readonly [string, ReadonlyArray<Gfn>]> = [
      ['remaps', n.remaps.map((r) => r.gfn)],
      ['access', n.access.map((a) => a.gfn)],
      ['suppressVeClear', n.suppressVeClear],
    ]
    for (const [name, gs] of lists) {
      const at = ascending(gs)
      if (O.isSome(at))
        return E.left(
          unbacked(
            n.index,
            gs[at.value] as Gfn,
            `${name}[${at.value}] is not above the one before`,
          ),
        )
    }
    const target = new Map(n.remaps.map((r) => [r.gfn, r.target]))
    const acc = new Map(n.access.map((a) => [a.gfn, a.access]))
    const clear = new Set(n.suppressVeClear)
    const keys = [...new Set([...target.keys(), ...acc.keys(), ...clear])].sort(byGfn)
    const entries = new Map<Gfn, P2mEntry>()
    for (const g of keys) {
      if (O.isNone(lookup(g)(host)))
        return E.left(unbacked(n.index, g, 'the host p2m does not map this gfn'))
      const t = target.get(g) ?? g
      const h = lookup(t)(host)
      if (O.isNone(h))
        return E.left(unbacked(n.index, g, `remap target ${hx(t)} is not mapped by the host p2m`))
      entries.set(g, {
        mfn: h.value.mfn,
        type: h.value.type,
        access: acc.get(g) ?? n.defaultAccess,
        suppressVe: !clear.has(g),
      })
    }
    return E.right({ _tag: 'View', index: n.index, defaultAccess: n.defaultAccess, entries })
  }
