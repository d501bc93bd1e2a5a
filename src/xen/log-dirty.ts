/**
 * Log-dirty extended to altp2m views, guest writes through a view, and passthrough DMA.
 *
 * The dirty bitmap is keyed by backing frame (mfn): a write through a view dirties the
 * frame the view maps, so a view that remaps gfn A to gfn B's frame dirties B's frame,
 * and no view can hide a write. Xen keys its log-dirty bitmap by pfn but derives the pfn
 * from the written frame through the M2P (`paging_mark_dirty`, xen/arch/x86/mm/paging.c),
 * which is the same thing; {@link cleanDirty} does that M2P step when it reports pfns.
 *
 * DMA by a passthrough device goes through the IOMMU, which uses the host p2m, never a
 * view (Tim Deegan in the seed thread: "the IOMMU will use the 'host' p2m"), so a DMA write
 * ignores every view restriction; and log-dirty cannot see it. Xen makes migration
 * (log-dirty) and passthrough exclusive; here the three places that could break that are
 * explicit errors: enabling log-dirty with a device, assigning a device under log-dirty,
 * and a DMA write while log-dirty is on.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Gfn } from '../addresses/kinds.js'
import * as bitmap from '../bitmap/index.js'
import type { PageBitmap } from '../bitmap/index.js'
import { allows } from './access.js'
import {
  badView,
  hx,
  noEntry,
  type BadState,
  type BadView,
  type NoEntry,
  type PassthroughVsLogDirty,
} from './errors.js'
import { frameLimit, gfnsOfMfn, lookup, setEntry, type P2mEntry } from './host-p2m.js'
import type { Mfn } from './mfn.js'
import { ofPage, pageOf } from './mfn.js'
import { writeClass } from './p2m-type.js'
import { effective, withEntry } from './view.js'
import { view as viewOf, type Domain } from './domain.js'

const exclusive = (message: string): PassthroughVsLogDirty => ({
  _tag: 'PassthroughVsLogDirty',
  message,
})
const badState = (message: string): BadState => ({ _tag: 'BadState', message })

/**
 * Turns log-dirty on (the start of a live migration, `XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY`)
 * with an empty bitmap over the host's frames. Refused with a passthrough device assigned,
 * as `paging_log_dirty_enable` refuses it (-EINVAL when `has_arch_pdevs`).
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 16n, mfn: 0x1000n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const withDevice = pipe(xen.domain.make(host.right), either.chain(xen.logDirty.assignDevice))
 * const r = pipe(withDevice, either.chain(xen.logDirty.enableLogDirty))
 * assert.ok(either.isLeft(r))
 * assert.equal(r.left._tag, 'PassthroughVsLogDirty')
 */
export const enableLogDirty = (d: Domain): E.Either<PassthroughVsLogDirty | BadState, Domain> => {
  if (d.passthrough)
    return E.left(
      exclusive(
        'cannot enable log-dirty: a passthrough device is assigned and its DMA goes through the host p2m unseen (paging_log_dirty_enable: -EINVAL)',
      ),
    )
  if (O.isSome(d.logDirty)) return E.left(badState('log-dirty is already on (-EINVAL)'))
  const frames = frameLimit(d.host)
  if (frames > BigInt(bitmap.MAX_PAGES))
    return E.left(badState(`frames up to ${hx(frames)} exceed the bitmap's 2^52 pages`))
  return E.map((bm: PageBitmap) => ({ ...d, logDirty: O.some(bm) }))(
    E.mapLeft((e: { message: string }) => badState(e.message))(bitmap.empty(Number(frames))),
  )
}

/** Turns log-dirty off (the end or failure of a migration), dropping the bitmap. */
export const disableLogDirty = (d: Domain): Domain => ({ ...d, logDirty: O.none })

/**
 * Assigns a passthrough device. Refused while log-dirty is on, as Xen's
 * `arch_iommu_use_permitted` refuses it under global log-dirty.
 */
export const assignDevice = (d: Domain): E.Either<PassthroughVsLogDirty, Domain> =>
  O.isSome(d.logDirty)
    ? E.left(
        exclusive(
          'cannot assign a passthrough device while log-dirty is on: its DMA would not be seen (arch_iommu_use_permitted)',
        ),
      )
    : E.right({ ...d, passthrough: true })

/** What a guest write came to. */
export type WriteOutcome =
  /** The write landed in `mfn` (dirtied if log-dirty is on); `event` if n2rwx raised one. */
  | {
      readonly _tag: 'Written'
      readonly mfn: Mfn
      readonly dirtied: boolean
      readonly event: boolean
    }
  /** The access rights refused it: #VE to the guest if suppress #VE is clear, else a vm_event. */
  | { readonly _tag: 'Violation'; readonly delivery: '#VE' | 'vm_event' }
  /** Permitted, but the page type does not take writes into RAM (see `writeClass`). */
  | {
      readonly _tag: 'NotRam'
      readonly writeClass: 'dropped' | 'emulated' | 'device' | 'unmodelled'
    }

/** A domain after a write, and what the write came to. */
export interface WriteResult {
  readonly domain: Domain
  readonly outcome: WriteOutcome
}

/**
 * A guest write to `gfn` by a vCPU running on view `index` (0: the host p2m).
 *
 * The access check follows `p2m_mem_access_check` (xen/arch/x86/mm/mem_access.c): `rx2rw`
 * becomes `rw` on a write and the write goes ahead with no event; `n2rwx` becomes `rwx`
 * and raises a non-pausing event; any other right without w is a violation, delivered as
 * #VE when the entry's suppress-#VE bit is clear. A permitted write to RAM marks the
 * backing frame in the log-dirty bitmap when log-dirty is on.
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 16n, mfn: 0x1000n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const r = pipe(
 *   xen.domain.make(host.right),
 *   either.chain(xen.domain.createView('rwx')),
 *   either.chain(({ domain, index }) => xen.domain.changeGfn(index, Gfn.unsafe(2n), option.some(Gfn.unsafe(9n)))(domain)),
 *   either.chain(xen.logDirty.enableLogDirty),
 *   either.chain(xen.logDirty.guestWrite(1, Gfn.unsafe(2n))),
 * )
 * assert.ok(either.isRight(r))
 * assert.deepEqual(r.right.outcome, { _tag: 'Written', mfn: 0x1009n, dirtied: true, event: false })
 * // the frame of gfn 9 is dirty, so migration resends gfn 9
 * assert.deepEqual(xen.logDirty.cleanDirty(r.right.domain).pfns, [9n])
 */
export const guestWrite =
  (index: number, gfn: Gfn) =>
  (d: Domain): E.Either<BadView | NoEntry, WriteResult> => {
    let entry: O.Option<P2mEntry>
    const v = index === 0 ? O.none : viewOf(index)(d)
    if (index === 0) entry = lookup(gfn)(d.host)
    else if (O.isNone(v)) return E.left(badView(index, `view ${index} is not active`))
    else entry = effective(d.host, gfn)(v.value)
    if (O.isNone(entry)) return E.left(noEntry(index, gfn, 'not mapped (no p2m entry)'))
    const e = entry.value
    let domain = d
    let event = false
    if (!allows('write')(e.access)) {
      if (e.access !== 'rx2rw' && e.access !== 'n2rwx')
        return E.right({
          domain: d,
          outcome: { _tag: 'Violation', delivery: e.suppressVe ? 'vm_event' : '#VE' },
        })
      event = e.access === 'n2rwx'
      const converted: P2mEntry = { ...e, access: event ? 'rwx' : 'rw' }
      if (index === 0) {
        const host = setEntry(gfn, converted)(d.host)
        if (O.isSome(host)) domain = { ...d, host: host.value }
      } else if (O.isSome(v)) {
        const nv = withEntry(gfn, converted)(v.value)
        domain = { ...d, views: d.views.map((x) => (x.index === index ? nv : x)) }
      }
    }
    const wc = writeClass(e.type)
    if (wc !== 'ram') return E.right({ domain, outcome: { _tag: 'NotRam', writeClass: wc } })
    const dirtied = O.isSome(domain.logDirty)
    if (O.isSome(domain.logDirty)) {
      const bm = bitmap.set(pageOf(e.mfn))(domain.logDirty.value)
      if (E.isRight(bm)) domain = { ...domain, logDirty: O.some(bm.right) }
    }
    return E.right({ domain, outcome: { _tag: 'Written', mfn: e.mfn, dirtied, event } })
  }

/**
 * A DMA write by a passthrough device to `gfn`: translated by the host p2m (the IOMMU's
 * tables), whatever any view says, so view restrictions do not apply; returns the frame
 * written. Log-dirty cannot see it, so this is an error while log-dirty is on (and without
 * an assigned device there is nothing to do DMA).
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 16n, mfn: 0x1000n, type: 'ram_rw', access: 'r' }])
 * assert.ok(either.isRight(host))
 * const d = pipe(xen.domain.make(host.right), either.chain(xen.logDirty.assignDevice))
 * // read-only to the guest, but DMA writes it anyway
 * assert.deepEqual(pipe(d, either.chain(xen.logDirty.dmaWrite(Gfn.unsafe(3n)))), either.right(0x1003n))
 */
export const dmaWrite =
  (gfn: Gfn) =>
  (d: Domain): E.Either<PassthroughVsLogDirty | BadState | NoEntry, Mfn> => {
    if (!d.passthrough)
      return E.left(badState(`DMA to gfn ${hx(gfn)}: no passthrough device is assigned`))
    if (O.isSome(d.logDirty))
      return E.left(
        exclusive(
          `DMA write to gfn ${hx(gfn)} goes through the host p2m and log-dirty cannot see it: migration and passthrough are exclusive`,
        ),
      )
    const h = lookup(gfn)(d.host)
    if (O.isNone(h))
      return E.left(noEntry(0, gfn, 'DMA to a gfn the host p2m does not map (IOMMU fault)'))
    return E.right(h.value.mfn)
  }

/** The pfns a log-dirty round reports, and the domain with the bitmap cleared. */
export interface DirtyRound {
  /** Host gfns whose backing frame was written, ascending (through the M2P). */
  readonly pfns: ReadonlyArray<Gfn>
  readonly domain: Domain
}

/**
 * Reads and clears the log-dirty bitmap (`XEN_DOMCTL_SHADOW_OP_CLEAN`), reporting each
 * dirty frame as the host gfns that map it (Xen's M2P step). Empty when log-dirty is off.
 */
export const cleanDirty = (d: Domain): DirtyRound => {
  if (O.isNone(d.logDirty)) return { pfns: [], domain: d }
  const bm = d.logDirty.value
  const pfns = bitmap
    .toPages(bm)
    .flatMap((p) => gfnsOfMfn(ofPage(p))(d.host))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const cleared = bitmap.empty(bm.pages)
  return {
    pfns,
    domain: { ...d, logDirty: E.isRight(cleared) ? O.some(cleared.right) : d.logDirty },
  }
}
