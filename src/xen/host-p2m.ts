/**
 * The host p2m: for each guest frame (gfn), the backing machine frame, the p2m type, the
 * access rights and the suppress-#VE bit, as Xen's host p2m holds them for an HVM domain
 * (`struct p2m_domain` of class `p2m_host`, xen/arch/x86/include/asm/p2m.h; the bits of an
 * EPT entry, xen/arch/x86/include/asm/hvm/vmx/vmx.h `ept_entry_t`).
 *
 * Represented as sorted, non-overlapping runs of consecutive gfns backed by consecutive
 * frames with the same type, access and #VE bit, so a guest of millions of pages is a
 * handful of runs; lookup is a binary search. Every page of a run is a 4 KiB entry (this
 * model has no superpages). A new EPT entry has suppress #VE set (`ept_set_entry` with
 * `sve == -1`, xen/arch/x86/mm/p2m-ept.c), so `suppressVe` defaults to true.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gfn } from '../addresses/kinds.js'
import { TWO_64 } from '../addresses/u64.js'
import { showValue } from '../addresses/report.js'
import type { Access } from './access.js'
import { isAccess } from './access.js'
import { hx, type InvalidHostP2m } from './errors.js'
import { INVALID_MFN_VALUE, unsafe as mfnUnsafe, type Mfn } from './mfn.js'
import { isP2mType, isRam, type P2mType } from './p2m-type.js'

/** One p2m entry: what a gfn resolves to. */
export interface P2mEntry {
  /** The backing frame. */
  readonly mfn: Mfn
  /** Xen's p2m type of the entry. */
  readonly type: P2mType
  /** The access rights (Xen `p2m_access_t`). */
  readonly access: Access
  /** The EPT suppress-#VE bit: set, violations go to Xen, not to the guest as #VE. */
  readonly suppressVe: boolean
}

/** `count` consecutive gfns from `gfn`, backed by consecutive frames from `mfn`. */
export interface P2mRun {
  readonly gfn: Gfn
  readonly count: bigint
  readonly mfn: Mfn
  readonly type: P2mType
  readonly access: Access
  readonly suppressVe: boolean
}

/** A host p2m: sorted non-overlapping runs, plus the p2m's `default_access`. */
export interface HostP2m {
  readonly _tag: 'HostP2m'
  readonly runs: ReadonlyArray<P2mRun>
  /** Xen's `p2m->default_access`: what `XENMEM_access_default` resolves to. */
  readonly defaultAccess: Access
}

/** A run as given to {@link fromRuns}; `access` defaults to rwx, `suppressVe` to true. */
export interface P2mRunSpec {
  readonly gfn: bigint
  readonly count: bigint
  readonly mfn: bigint
  readonly type: P2mType
  readonly access?: Access
  readonly suppressVe?: boolean
}

const bad = (run: number, message: string): E.Either<InvalidHostP2m, never> =>
  E.left({ _tag: 'InvalidHostP2m', run, message: `run ${run}: ${message}` })

/**
 * A host p2m from runs sorted by gfn, or why not: every run non-empty, inside the 64-bit
 * gfn and frame spaces (frames never reaching `INVALID_MFN`), and no two overlapping.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const host = xen.hostP2m.fromRuns([
 *   { gfn: 0n, count: 0xa0n, mfn: 0x10000n, type: 'ram_rw' },
 *   { gfn: 0xfee00n, count: 1n, mfn: 0xfee00n, type: 'mmio_direct' },
 * ])
 * assert.ok(either.isRight(host))
 * const overlapping = xen.hostP2m.fromRuns([
 *   { gfn: 0n, count: 2n, mfn: 0n, type: 'ram_rw' },
 *   { gfn: 1n, count: 1n, mfn: 9n, type: 'ram_rw' },
 * ])
 * assert.ok(either.isLeft(overlapping))
 * assert.match(overlapping.left.message, /run 1: .*overlaps/)
 */
export const fromRuns = (
  specs: ReadonlyArray<P2mRunSpec>,
  defaultAccess: Access = 'rwx',
): E.Either<InvalidHostP2m, HostP2m> => {
  const runs: P2mRun[] = []
  let prevEnd = -1n
  for (const [i, s] of specs.entries()) {
    if (s.count <= 0n) return bad(i, `count ${s.count} must be at least 1`)
    if (s.gfn < 0n || s.gfn + s.count > TWO_64)
      return bad(i, `gfns ${hx(s.gfn)}+${hx(s.count)} leave the 64-bit gfn space`)
    if (s.mfn < 0n || s.mfn + s.count > INVALID_MFN_VALUE)
      return bad(i, `mfns ${hx(s.mfn)}+${hx(s.count)} leave [0, INVALID_MFN)`)
    if (!isP2mType(s.type)) return bad(i, `unknown p2m type ${showValue(s.type)}`)
    if (s.access !== undefined && !isAccess(s.access))
      return bad(i, `unknown access ${showValue(s.access)}`)
    if (s.type === 'invalid') return bad(i, 'p2m_invalid is the absence of an entry, not a run')
    if (s.gfn < prevEnd)
      return bad(i, `gfn ${hx(s.gfn)} overlaps or precedes the previous run (ends ${hx(prevEnd)})`)
    prevEnd = s.gfn + s.count
    runs.push({
      gfn: Gfn.unsafe(s.gfn),
      count: s.count,
      mfn: mfnUnsafe(s.mfn),
      type: s.type,
      access: s.access ?? 'rwx',
      suppressVe: s.suppressVe ?? true,
    })
  }
  return E.right({ _tag: 'HostP2m', runs, defaultAccess })
}

/** The index of the run holding `gfn`, or -1. */
const runIndex = (host: HostP2m, gfn: bigint): number => {
  let lo = 0
  let hi = host.runs.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const r = host.runs[mid] as P2mRun
    if (gfn < r.gfn) hi = mid - 1
    else if (gfn >= r.gfn + r.count) lo = mid + 1
    else return mid
  }
  return -1
}

/**
 * The host entry for `gfn` (Xen `p2m_get_gfn_type_access` on the host p2m), or none for a
 * hole (`p2m_invalid`).
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0x100n, count: 0x10n, mfn: 0x5000n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * assert.deepEqual(xen.hostP2m.lookup(Gfn.unsafe(0x105n))(host.right),
 *   option.some({ mfn: 0x5005n, type: 'ram_rw', access: 'rwx', suppressVe: true }))
 * assert.deepEqual(xen.hostP2m.lookup(Gfn.unsafe(0x110n))(host.right), option.none)
 */
export const lookup =
  (gfn: Gfn) =>
  (host: HostP2m): O.Option<P2mEntry> => {
    const i = runIndex(host, gfn)
    if (i < 0) return O.none
    const r = host.runs[i] as P2mRun
    return O.some({
      mfn: mfnUnsafe(r.mfn + (gfn - r.gfn)),
      type: r.type,
      access: r.access,
      suppressVe: r.suppressVe,
    })
  }

/**
 * `host` with the entry for `gfn` replaced (Xen `p2m_set_entry` on the host p2m, 4 KiB
 * order): the run holding it is split. Fails for a gfn the host does not map (this model
 * does not add or drop host pages).
 */
export const setEntry =
  (gfn: Gfn, entry: P2mEntry) =>
  (host: HostP2m): O.Option<HostP2m> => {
    const i = runIndex(host, gfn)
    if (i < 0) return O.none
    const r = host.runs[i] as P2mRun
    const off = gfn - r.gfn
    const pieces: P2mRun[] = []
    if (off > 0n) pieces.push({ ...r, count: off })
    pieces.push({ gfn, count: 1n, ...entry })
    if (off + 1n < r.count)
      pieces.push({
        ...r,
        gfn: Gfn.unsafe(gfn + 1n),
        count: r.count - off - 1n,
        mfn: mfnUnsafe(r.mfn + off + 1n),
      })
    return O.some({
      ...host,
      runs: [...host.runs.slice(0, i), ...pieces, ...host.runs.slice(i + 1)],
    })
  }

interface MfnIndexEntry {
  readonly mfn: bigint
  readonly end: bigint
  readonly run: P2mRun
}

const mfnIndexes = new WeakMap<HostP2m, ReadonlyArray<MfnIndexEntry>>()

/** Runs sorted by frame (built once per host p2m value, which never changes). */
const mfnIndex = (host: HostP2m): ReadonlyArray<MfnIndexEntry> => {
  const cached = mfnIndexes.get(host)
  if (cached !== undefined) return cached
  const idx = host.runs
    .map((run) => ({ mfn: run.mfn as bigint, end: run.mfn + run.count, run }))
    .sort((a, b) => (a.mfn < b.mfn ? -1 : a.mfn > b.mfn ? 1 : 0))
  mfnIndexes.set(host, idx)
  return idx
}

/**
 * Every gfn the host maps to frame `mfn`, ascending: the model's M2P
 * (`get_gpfn_from_mfn`), which log-dirty uses to turn a written frame into the pfn it
 * marks (`paging_mark_dirty`, xen/arch/x86/mm/paging.c). Usually one gfn; none for a frame
 * the domain does not map.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0x100n, count: 0x10n, mfn: 0x5000n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * assert.deepEqual(xen.hostP2m.gfnsOfMfn(xen.mfn.unsafe(0x500fn))(host.right), [0x10fn])
 * assert.deepEqual(xen.hostP2m.gfnsOfMfn(xen.mfn.unsafe(0x5010n))(host.right), [])
 */
export const gfnsOfMfn =
  (mfn: Mfn) =>
  (host: HostP2m): ReadonlyArray<Gfn> => {
    const idx = mfnIndex(host)
    // First entry whose end is above mfn; overlapping frame ranges are rare but allowed.
    let lo = 0
    let hi = idx.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((idx[mid] as MfnIndexEntry).mfn <= mfn) lo = mid + 1
      else hi = mid
    }
    const out: Gfn[] = []
    for (let k = 0; k < lo; k++) {
      const e = idx[k] as MfnIndexEntry
      if (mfn < e.end) out.push(Gfn.unsafe(e.run.gfn + (mfn - e.mfn)))
    }
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }

/**
 * The gfns of RAM the domain owns (types in Xen's `P2M_RAM_TYPES`), as runs: the pages a
 * migration sends.
 */
export const ramRuns = (host: HostP2m): ReadonlyArray<P2mRun> =>
  host.runs.filter((r) => isRam(r.type))

/** One past the highest frame the host maps: the size of a frame-keyed bitmap. */
export const frameLimit = (host: HostP2m): bigint =>
  host.runs.reduce((m, r) => (r.mfn + r.count > m ? r.mfn + r.count : m), 0n)

/** How many gfns the host maps. */
export const pageCount = (host: HostP2m): bigint => host.runs.reduce((n, r) => n + r.count, 0n)

/** Every gfn the host maps, ascending (for small p2ms: tests and examples). */
export const gfns = (host: HostP2m): ReadonlyArray<Gfn> =>
  host.runs.flatMap((r) =>
    Array.from({ length: Number(r.count) }, (_, k) => Gfn.unsafe(r.gfn + BigInt(k))),
  )
