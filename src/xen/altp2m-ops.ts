/**
 * The altp2m operations on one view, as Xen performs them for `HVMOP_altp2m`
 * (xen/include/public/hvm/hvm_op.h): set_mem_access (7), set_suppress_ve (10) and
 * change_gfn (8). Each takes the host p2m and returns the new view, or Xen's error.
 *
 * All three first find the gfn's *effective* entry the way `altp2m_get_effective_entry`
 * (xen/arch/x86/mm/altp2m.c) does: the view's own entry, or else the host's entry, which
 * must be a valid `p2m_ram_rw` page (otherwise `-ESRCH`). Unlike the lazy copy a vCPU
 * fault makes (`lazyEntry` in view.ts), this copy keeps the host's access.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Gfn } from '../addresses/kinds.js'
import type { Access } from './access.js'
import { hx, noEntry, type NoEntry } from './errors.js'
import { lookup, type HostP2m, type P2mEntry } from './host-p2m.js'
import { withEntry, withoutEntry, type View } from './view.js'

/** The effective entry Xen's altp2m operations start from (`altp2m_get_effective_entry`). */
export const effectiveForOp =
  (host: HostP2m, gfn: Gfn) =>
  (view: View): E.Either<NoEntry, P2mEntry> => {
    const own = view.entries.get(gfn)
    if (own !== undefined) return E.right(own)
    const h = lookup(gfn)(host)
    if (O.isNone(h))
      return E.left(noEntry(view.index, gfn, 'no entry in the view or the host p2m (-ESRCH)'))
    if (h.value.type !== 'ram_rw')
      return E.left(noEntry(view.index, gfn, `host entry is ${h.value.type}, not ram_rw (-ESRCH)`))
    return E.right(h.value)
  }

/**
 * `HVMOP_altp2m_set_mem_access`: the view's entry for `gfn` gets `access`, keeping its
 * suppress-#VE bit if the view already had an entry and setting it otherwise
 * (`p2m_set_altp2m_mem_access`, xen/arch/x86/mm/mem_access.c). As in Xen, a gfn without a
 * usable entry is skipped without error (`set_mem_access` turns `-ESRCH` into 0): the view
 * comes back unchanged.
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 4n, mfn: 0x100n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const v = xen.altp2mOps.setMemAccess(host.right, Gfn.unsafe(1n), 'r')(xen.view.empty(1, 'rwx'))
 * assert.deepEqual(v.entries.get(1n), { mfn: 0x101n, type: 'ram_rw', access: 'r', suppressVe: true })
 * // a hole is skipped, as Xen skips -ESRCH
 * assert.equal(xen.altp2mOps.setMemAccess(host.right, Gfn.unsafe(9n), 'r')(v), v)
 */
export const setMemAccess =
  (host: HostP2m, gfn: Gfn, access: Access) =>
  (view: View): View => {
    const eff = effectiveForOp(host, gfn)(view)
    if (E.isLeft(eff)) return view
    const own = view.entries.get(gfn)
    return withEntry(gfn, {
      mfn: eff.right.mfn,
      type: eff.right.type,
      access,
      suppressVe: own === undefined ? true : own.suppressVe,
    })(view)
  }

/**
 * `HVMOP_altp2m_set_suppress_ve`: the view's entry for `gfn` gets the bit, keeping frame,
 * type and access of the effective entry (`p2m_set_suppress_ve_multi`,
 * xen/arch/x86/mm/altp2m.c). A gfn without a usable entry is Xen's `-ESRCH`.
 */
export const setSuppressVe =
  (host: HostP2m, gfn: Gfn, suppressVe: boolean) =>
  (view: View): E.Either<NoEntry, View> =>
    E.map((eff: P2mEntry) => withEntry(gfn, { ...eff, suppressVe })(view))(
      effectiveForOp(host, gfn)(view),
    )

/** Who issued a change_gfn: the guest itself, or a tool in another domain. */
export type Caller = 'guest' | 'tool'

/**
 * `HVMOP_altp2m_change_gfn(view, old_gfn, new_gfn)` (`p2m_change_altp2m_gfn`,
 * xen/arch/x86/mm/altp2m.c): in the view, `oldGfn` now maps the frame, type and access
 * that `newGfn` resolves to in the view, as a 4 KiB entry. Both gfns need a usable
 * effective entry (`-ESRCH` otherwise). The new entry's suppress-#VE bit is set when the
 * caller is another domain and clear when the guest remaps itself (Xen passes
 * `current->domain != d` as `sve`). `newGfn` none is Xen's `INVALID_GFN`: the view's
 * entry for `oldGfn` is removed, so it resolves through the host again (this also drops an
 * access restriction the view held there). Xen's `min/max_remapped_gfn` bookkeeping, used
 * to reset views when the host drops a page, is not modelled.
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 4n, mfn: 0x100n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const v = xen.altp2mOps.changeGfn(host.right, Gfn.unsafe(0n), option.some(Gfn.unsafe(3n)))(xen.view.empty(1, 'rwx'))
 * assert.ok(either.isRight(v))
 * assert.equal(v.right.entries.get(0n).mfn, 0x103n) // gfn 0 now shows gfn 3's frame
 * const back = xen.altp2mOps.changeGfn(host.right, Gfn.unsafe(0n), option.none)(v.right)
 * assert.ok(either.isRight(back))
 * assert.equal(back.right.entries.size, 0)
 */
export const changeGfn =
  (host: HostP2m, oldGfn: Gfn, newGfn: O.Option<Gfn>, caller: Caller = 'tool') =>
  (view: View): E.Either<NoEntry, View> => {
    if (O.isNone(newGfn)) return E.right(withoutEntry(oldGfn)(view))
    const old = effectiveForOp(host, oldGfn)(view)
    if (E.isLeft(old)) return old
    const target = effectiveForOp(host, newGfn.value)(view)
    if (E.isLeft(target))
      return E.left(
        noEntry(
          view.index,
          newGfn.value,
          `change_gfn ${hx(oldGfn)} -> ${hx(newGfn.value)}: ${target.left.message}`,
        ),
      )
    return E.right(
      withEntry(oldGfn, {
        mfn: target.right.mfn,
        type: target.right.type,
        access: target.right.access,
        suppressVe: caller === 'tool',
      })(view),
    )
  }
