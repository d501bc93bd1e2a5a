/**
 * An HVM domain as far as altp2m and log-dirty go: the host p2m, the altp2m views, the
 * number of view slots, the log-dirty bitmap while it is on, whether a passthrough device
 * is assigned, and the notice a guest agent sees when its views were dropped by a
 * migration (this project's extension, see migrate.ts).
 *
 * View index 0 is Xen's default view: it follows the host p2m, and Xen's mem_access and
 * suppress-#VE operations treat index 0 as the host p2m ("altp2m view 0 is treated as the
 * hostp2m", `p2m_set_mem_access`, xen/arch/x86/mm/mem_access.c). This model does the same
 * and keeps views 1 to `nrAltp2m - 1` as {@link View}s. It cannot be destroyed
 * (`p2m_destroy_altp2m_by_id` refuses index 0 with -EBUSY).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Gfn } from '../addresses/kinds.js'
import type { PageBitmap } from '../bitmap/index.js'
import type { Access } from './access.js'
import * as ops from './altp2m-ops.js'
import { badView, hx, noEntry, type BadView, type NoEntry } from './errors.js'
import { lookup, setEntry, type HostP2m } from './host-p2m.js'
import { MAX_ALTP2M, MAX_NR_ALTP2M, empty as emptyView, type View } from './view.js'

/** What the guest agent is told when a migration dropped its views (soft state). */
export interface ViewsDropped {
  /** The indexes of the views that existed on the source. */
  readonly views: ReadonlyArray<number>
}

/** A domain's altp2m and log-dirty state. */
export interface Domain {
  readonly _tag: 'Domain'
  readonly host: HostP2m
  /** View slots, default view included (Xen `d->nr_altp2m`, `altp2m_count`). */
  readonly nrAltp2m: number
  /** Active views 1 to `nrAltp2m - 1`, ascending by index. */
  readonly views: ReadonlyArray<View>
  /** The log-dirty bitmap, keyed by backing frame, while log-dirty is on. */
  readonly logDirty: O.Option<PageBitmap>
  /** Whether a passthrough (IOMMU) device is assigned. */
  readonly passthrough: boolean
  /** Set on restore when views were declared soft state and dropped. */
  readonly viewsDropped: O.Option<ViewsDropped>
}

/**
 * A domain over `host` with no views, log-dirty off and no device, and `nrAltp2m` view
 * slots (default {@link MAX_ALTP2M} = 10, at most {@link MAX_NR_ALTP2M}).
 */
export const make = (host: HostP2m, nrAltp2m: number = MAX_ALTP2M): E.Either<BadView, Domain> =>
  Number.isInteger(nrAltp2m) && nrAltp2m >= 1 && nrAltp2m <= MAX_NR_ALTP2M
    ? E.right({
        _tag: 'Domain',
        host,
        nrAltp2m,
        views: [],
        logDirty: O.none,
        passthrough: false,
        viewsDropped: O.none,
      })
    : E.left(badView(nrAltp2m, `altp2m_count ${nrAltp2m} is not in [1, ${MAX_NR_ALTP2M}]`))

/** The view with index `index`, if active. */
export const view =
  (index: number) =>
  (d: Domain): O.Option<View> =>
    O.fromNullable(d.views.find((v) => v.index === index))

/** A domain with a view and the index it got. */
export interface Created {
  readonly domain: Domain
  readonly index: number
}

/**
 * `HVMOP_altp2m_create_p2m`: a new empty view in the lowest free slot
 * (`p2m_init_next_altp2m`), with `defaultAccess` (`'default'` = the host's
 * `default_access`, Xen's `XENMEM_access_default`). Fails when every slot is in use.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 16n, mfn: 0x1000n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const d = xen.domain.make(host.right, 3)
 * assert.ok(either.isRight(d))
 * const a = xen.domain.createView('rx')(d.right)
 * assert.ok(either.isRight(a))
 * assert.equal(a.right.index, 1)
 * const b = xen.domain.createView('default')(a.right.domain)
 * assert.ok(either.isRight(b))
 * assert.equal(b.right.index, 2)
 * assert.ok(either.isLeft(xen.domain.createView('rwx')(b.right.domain))) // 3 slots, 0 is the default view
 */
export const createView =
  (defaultAccess: Access | 'default') =>
  (d: Domain): E.Either<BadView, Created> => {
    for (let i = 1; i < d.nrAltp2m; i++) {
      if (d.views.some((v) => v.index === i)) continue
      const v = emptyView(i, defaultAccess === 'default' ? d.host.defaultAccess : defaultAccess)
      const views = [...d.views, v].sort((a, b) => a.index - b.index)
      return E.right({ domain: { ...d, views }, index: i })
    }
    return E.left(badView(d.nrAltp2m, `all ${d.nrAltp2m - 1} altp2m view slots are in use`))
  }

/** `HVMOP_altp2m_destroy_p2m`: refuses the default view 0 (-EBUSY) and inactive views. */
export const destroyView =
  (index: number) =>
  (d: Domain): E.Either<BadView, Domain> => {
    if (index === 0)
      return E.left(badView(0, 'view 0 is the default view and cannot be destroyed (-EBUSY)'))
    if (O.isNone(view(index)(d))) return E.left(badView(index, `view ${index} is not active`))
    return E.right({ ...d, views: d.views.filter((v) => v.index !== index) })
  }

/** `d` with view `index` (1 and up, active) replaced by `f` of it. */
export const modifyView =
  <L>(index: number, f: (v: View) => E.Either<L, View>) =>
  (d: Domain): E.Either<L | BadView, Domain> => {
    const v = view(index)(d)
    if (O.isNone(v)) return E.left(badView(index, `view ${index} is not active`))
    return E.map((nv: View) => ({ ...d, views: d.views.map((x) => (x.index === index ? nv : x)) }))(
      f(v.value),
    )
  }

/**
 * Changes the host entry of `gfn` and propagates it to every view holding an entry there,
 * as Xen's `p2m_altp2m_propagate_change` does on each host p2m update
 * (xen/arch/x86/mm/altp2m.c): the view's entry becomes the host's, access included,
 * keeping the view's suppress-#VE bit (`p2m_set_entry` with `sve == -1`).
 */
const setHost =
  (
    gfn: Gfn,
    f: (e: { access: Access; suppressVe: boolean }) => { access: Access; suppressVe: boolean },
  ) =>
  (d: Domain): E.Either<NoEntry, Domain> => {
    const h = lookup(gfn)(d.host)
    if (O.isNone(h)) return E.left(noEntry(0, gfn, 'the host p2m does not map this gfn'))
    const entry = { ...h.value, ...f(h.value) }
    const host = setEntry(gfn, entry)(d.host)
    if (O.isNone(host)) return E.left(noEntry(0, gfn, 'the host p2m does not map this gfn'))
    const views = d.views.map((v) => {
      const own = v.entries.get(gfn)
      if (own === undefined) return v
      const entries = new Map(v.entries)
      entries.set(gfn, { ...entry, suppressVe: own.suppressVe })
      return { ...v, entries }
    })
    return E.right({ ...d, host: host.value, views })
  }

/**
 * `HVMOP_altp2m_set_mem_access` on view `index`; index 0 sets the host entry (and
 * propagates it to views holding that gfn). On a view, a gfn without a usable entry is
 * skipped as Xen skips it.
 */
export const setMemAccess =
  (index: number, gfn: Gfn, access: Access) =>
  (d: Domain): E.Either<BadView | NoEntry, Domain> =>
    index === 0
      ? setHost(gfn, (e) => ({ ...e, access }))(d)
      : modifyView(index, (v) => E.right(ops.setMemAccess(d.host, gfn, access)(v)))(d)

/** `HVMOP_altp2m_set_suppress_ve` on view `index`; index 0 sets the host entry's bit. */
export const setSuppressVe =
  (index: number, gfn: Gfn, suppressVe: boolean) =>
  (d: Domain): E.Either<BadView | NoEntry, Domain> =>
    index === 0
      ? setHost(gfn, (e) => ({ ...e, suppressVe }))(d)
      : modifyView(index, ops.setSuppressVe(d.host, gfn, suppressVe))(d)

/**
 * `HVMOP_altp2m_change_gfn` on view `index` (1 and up: this model keeps view 0 as the
 * host p2m, which change_gfn never edits). `newGfn` none reverts (Xen `INVALID_GFN`).
 */
export const changeGfn =
  (index: number, oldGfn: Gfn, newGfn: O.Option<Gfn>, caller: ops.Caller = 'tool') =>
  (d: Domain): E.Either<BadView | NoEntry, Domain> =>
    index === 0
      ? E.left(badView(0, `change_gfn ${hx(oldGfn)}: view 0 is the host p2m in this model`))
      : modifyView(index, ops.changeGfn(d.host, oldGfn, newGfn, caller))(d)
