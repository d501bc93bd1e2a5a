/**
 * An alternate p2m view (altp2m) as Xen keeps one: a p2m table of its own that starts
 * empty, "a copy of the host p2m" filled in lazily. A gfn with no entry in the view resolves
 * through the host p2m; Xen copies the host's frame and type into the view on first use,
 * with the view's `default_access` and suppress #VE set (`p2m_altp2m_get_or_propagate`,
 * xen/arch/x86/mm/altp2m.c; `ept_set_entry` with `sve == -1`, p2m-ept.c). So the view a
 * vCPU sees is: its own entries where it has them, otherwise that lazy copy
 * ({@link effective}).
 *
 * Two views with the same index and default access are {@link equivalent} when every gfn
 * resolves the same way, whether or not an entry is held explicitly.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Gfn } from '../addresses/kinds.js'
import type { Access } from './access.js'
import { lookup, type HostP2m, type P2mEntry } from './host-p2m.js'

/** Xen's historical fixed number of altp2m views per domain (`MAX_ALTP2M`, "arbitrary"), and
 * the default of the `altp2m_count` domain option that replaced it in Xen 4.21 (commit
 * 06cf6cdab4; libxl_create.c sets 10). Index 0 is the default view. */
export const MAX_ALTP2M = 10

/** The largest `altp2m_count` Xen accepts: `MAX_NR_ALTP2M = MAX_EPTP` = 512 EPTPs in one
 * page (xen/arch/x86/include/asm/domain.h), the VMFUNC EPTP-switching list. */
export const MAX_NR_ALTP2M = 512

/** An alternate p2m view: index, default access, and the entries it holds itself. */
export interface View {
  readonly _tag: 'View'
  /** The view's index (Xen's altp2m idx, 1 to `nr_altp2m - 1`; 0 is the default view). */
  readonly index: number
  /** The view's `default_access`, given to host entries copied into it. */
  readonly defaultAccess: Access
  /** The entries the view holds, by gfn; every other gfn resolves through the host. */
  readonly entries: ReadonlyMap<Gfn, P2mEntry>
}

/** A new, empty view: Xen's `HVMOP_altp2m_create_p2m` (`p2m_init_next_altp2m`). */
export const empty = (index: number, defaultAccess: Access): View => ({
  _tag: 'View',
  index,
  defaultAccess,
  entries: new Map(),
})

/**
 * The entry the view would copy from the host for `gfn`: the host's frame and type, the
 * view's default access, suppress #VE set (`p2m_altp2m_get_or_propagate`).
 */
export const lazyEntry =
  (host: HostP2m, gfn: Gfn) =>
  (view: View): O.Option<P2mEntry> =>
    pipe(
      lookup(gfn)(host),
      O.map((h) => ({ mfn: h.mfn, type: h.type, access: view.defaultAccess, suppressVe: true })),
    )

/**
 * What `gfn` resolves to through the view: its own entry, or the lazy copy of the host's.
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 4n, mfn: 0x100n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const v = xen.view.empty(1, 'rx')
 * assert.deepEqual(xen.view.effective(host.right, Gfn.unsafe(2n))(v),
 *   option.some({ mfn: 0x102n, type: 'ram_rw', access: 'rx', suppressVe: true }))
 */
export const effective =
  (host: HostP2m, gfn: Gfn) =>
  (view: View): O.Option<P2mEntry> => {
    const own = view.entries.get(gfn)
    return own !== undefined ? O.some(own) : lazyEntry(host, gfn)(view)
  }

/** Whether two entries are the same. */
export const sameEntry = (a: P2mEntry, b: P2mEntry): boolean =>
  a.mfn === b.mfn && a.type === b.type && a.access === b.access && a.suppressVe === b.suppressVe

const sameOption = (a: O.Option<P2mEntry>, b: O.Option<P2mEntry>): boolean =>
  O.isNone(a) ? O.isNone(b) : O.isSome(b) && sameEntry(a.value, b.value)

/**
 * Whether two views resolve every gfn the same way over `host` (same index and default
 * access too). Entries equal to the lazy copy make no difference.
 */
export const equivalent =
  (host: HostP2m) =>
  (a: View, b: View): boolean => {
    if (a.index !== b.index || a.defaultAccess !== b.defaultAccess) return false
    for (const g of a.entries.keys())
      if (!sameOption(effective(host, g)(a), effective(host, g)(b))) return false
    for (const g of b.entries.keys())
      if (!a.entries.has(g) && !sameOption(effective(host, g)(a), effective(host, g)(b)))
        return false
    return true
  }

/** `view` with its entry for `gfn` set. */
export const withEntry =
  (gfn: Gfn, entry: P2mEntry) =>
  (view: View): View => {
    const entries = new Map(view.entries)
    entries.set(gfn, entry)
    return { ...view, entries }
  }

/** `view` without an entry for `gfn` (Xen `p2m_remove_entry` on the view). */
export const withoutEntry =
  (gfn: Gfn) =>
  (view: View): View => {
    if (!view.entries.has(gfn)) return view
    const entries = new Map(view.entries)
    entries.delete(gfn)
    return { ...view, entries }
  }
