/**
 * Migration of a domain's memory and altp2m state, model -> records -> model.
 *
 * {@link save} builds the stream a sender would write for this model, in the order the
 * spec gives for an x86 HVM guest (libxc-migration-stream.pandoc, "x86 HVM Guest"): headers,
 * STATIC_DATA_END, PAGE_DATA records, then, with the domain paused, the altp2m state
 * ("the altp2m state could be pickled after the domain is paused", the seed thread), then
 * END. The vCPU records a real stream carries (TSC info, HVM params, HVM context) are
 * outside this model and not written, so a stream from {@link save} is not a restorable
 * Xen image; its framing, numbering and PAGE_DATA are Xen's.
 *
 * The model carries no page contents, so PAGE_DATA names each page as XALLOC ("allocate
 * only", no data); {@link restore} accepts pages with data too. Pages are sent as Xen's
 * live migration does: every RAM page once, then the pages the log-dirty bitmap reports
 * (the frames written since log-dirty went on, turned into pfns through the M2P).
 *
 * Views either migrate (ALTP2M_VIEW records, each a view normalised against the source's
 * host p2m and rebuilt against the destination's) or are declared soft state (one
 * ALTP2M_DROPPED record; the destination sets the notice the guest agent sees). Both
 * records are this project's extension (stream.ts).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gfn } from '../addresses/kinds.js'
import {
  restoreError,
  type PassthroughVsLogDirty,
  type UnbackedEntry,
  type RestoreError,
} from './errors.js'
import { lookup, ramRuns, type HostP2m } from './host-p2m.js'
import { cleanDirty } from './log-dirty.js'
import { denormalise, normalise } from './normalise.js'
import { isRam } from './p2m-type.js'
import { make as makeDomain, type Domain } from './domain.js'
import {
  DHDR_TYPE,
  PFINFO,
  REC_TYPE,
  REC_TYPE_OPTIONAL,
  VERSION,
  type Stream,
  type StreamRecord,
} from './stream.js'
import { MAX_ALTP2M, type View } from './view.js'
import type { StreamPlan } from './encode.js'
import * as pageRuns from './page-runs.js'
import { runsOf, type PageRuns, type PfnRun } from './page-runs.js'

/** Xen's batch size for PAGE_DATA (`MAX_BATCH_SIZE`, tools/libs/guest/xg_sr_common.h). */
export const MAX_BATCH_SIZE = 1024

/**
 * PAGE_DATA records naming `pfns` as XALLOC pages, at most `batch` per record (none for
 * no pfns).
 */
export const pageRecords = (
  pfns: ReadonlyArray<Gfn>,
  batch: number = MAX_BATCH_SIZE,
): ReadonlyArray<StreamRecord> => [
  ...pageRuns.records({ _tag: 'PageRuns', runs: runsOf(pfns), batch }),
]

/** How to save. */
export interface SaveOptions {
  /** Migrate the views, or declare them soft state and drop them. */
  readonly views: 'migrate' | 'soft'
  /** With soft state: whether the destination should tell the guest agent (default true). */
  readonly notify?: boolean
  /** The Xen version for the domain header (default 4.21). */
  readonly xen?: { readonly major: number; readonly minor: number }
  /** pfns per PAGE_DATA record (default {@link MAX_BATCH_SIZE}). */
  readonly batch?: number
}

/**
 * The stream for `d`. Refused for a domain with a passthrough device: its DMA is invisible
 * to log-dirty, so Xen makes migration and passthrough exclusive. Fails if a view cannot be
 * normalised (an entry showing a frame the host does not map).
 *
 * @example
 * import { Gfn } from 'ramaddr'
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 4n, mfn: 0x100n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const s = pipe(
 *   xen.domain.make(host.right),
 *   either.chain(xen.domain.createView('rwx')),
 *   either.chain(({ domain }) => xen.domain.setMemAccess(1, Gfn.unsafe(1n), 'r')(domain)),
 *   either.chain(xen.migrate.save({ views: 'migrate' })),
 * )
 * assert.ok(either.isRight(s))
 * assert.deepEqual(s.right.records.map((r) => r._tag), ['StaticDataEnd', 'PageData', 'Altp2mView', 'End'])
 */
export const save =
  (options: SaveOptions) =>
  (d: Domain): E.Either<PassthroughVsLogDirty | UnbackedEntry, Stream> =>
    E.map((p: StreamPlan): Stream => ({
      ...p,
      records: p.records.flatMap((r) => (r._tag === 'PageRuns' ? [...pageRuns.records(r)] : [r])),
    }))(plan(options)(d))

/**
 * {@link save} with the pages as runs (page-runs.ts), not one record value per batch and
 * one value per pfn: what `encodeChunks` writes in bounded memory, so a 1 TiB guest costs
 * the size of its host p2m, not of its memory. The RAM runs of the host p2m are sent
 * whole, then the dirty pfns; `save` is this plan with the runs spelled out as records.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const host = xen.hostP2m.fromRuns([{ gfn: 0n, count: 1n << 28n, mfn: 0x100000n, type: 'ram_rw' }])
 * assert.ok(either.isRight(host))
 * const p = pipe(xen.domain.make(host.right), either.chain(xen.migrate.plan({ views: 'migrate' })))
 * assert.ok(either.isRight(p))
 * assert.deepEqual(p.right.records[1], { _tag: 'PageRuns', runs: [{ pfn: 0n, count: 1n << 28n }], batch: 1024 })
 */
export const plan =
  (options: SaveOptions) =>
  (d: Domain): E.Either<PassthroughVsLogDirty | UnbackedEntry, StreamPlan> => {
    if (d.passthrough)
      return E.left({
        _tag: 'PassthroughVsLogDirty',
        message:
          'cannot migrate: a passthrough device is assigned and log-dirty cannot see its DMA',
      })
    const batch = options.batch ?? MAX_BATCH_SIZE
    const all = ramRuns(d.host).map((r): PfnRun => ({ pfn: r.gfn, count: r.count }))
    const dirty = runsOf(cleanDirty(d).pfns)
    const state: StreamRecord[] = []
    if (options.views === 'soft') {
      if (d.views.length > 0)
        state.push({
          _tag: 'Altp2mDropped',
          views: d.views.map((v) => v.index),
          notify: options.notify ?? true,
        })
    } else
      for (const v of d.views) {
        const n = normalise(d.host)(v)
        if (E.isLeft(n)) return n
        state.push({ _tag: 'Altp2mView', view: n.right })
      }
    const pages = (runs: ReadonlyArray<PfnRun>): ReadonlyArray<PageRuns> =>
      runs.length === 0 ? [] : [{ _tag: 'PageRuns', runs, batch }]
    return E.right({
      image: { version: VERSION, bigEndian: false },
      domain: {
        type: DHDR_TYPE.X86_HVM,
        pageShift: 12,
        xenMajor: options.xen?.major ?? 4,
        xenMinor: options.xen?.minor ?? 21,
      },
      records: [
        { _tag: 'StaticDataEnd' },
        ...pages(all),
        ...pages(dirty),
        ...state,
        { _tag: 'End' },
      ],
    })
  }

/** What a restore produced. */
export interface Restored {
  /** The domain over the destination's host p2m, with the views rebuilt (or the notice). */
  readonly domain: Domain
  /** The pfns the stream populated, ascending. */
  readonly pfns: ReadonlyArray<Gfn>
}

/** Xen records this model accepts and ignores on restore: vCPU and platform state of an HVM guest. */
const IGNORED: ReadonlyArray<number> = [
  REC_TYPE.X86_TSC_INFO,
  REC_TYPE.HVM_CONTEXT,
  REC_TYPE.HVM_PARAMS,
  REC_TYPE.VERIFY,
  REC_TYPE.X86_CPUID_POLICY,
  REC_TYPE.X86_MSR_POLICY,
]

/**
 * Restores `stream` onto a destination whose host p2m (built by its toolstack, with its
 * own frames) is `dest`: every populated pfn must be RAM there, every view is rebuilt from
 * its normalised form against `dest`. Checks the spec's rules that bear on this model: an
 * HVM stream, STATIC_DATA_END before memory in v3, no PV records, unknown mandatory records
 * fail and unknown optional ones are ignored; plus its own: each view once, within
 * `nrAltp2m`, and views either migrated or dropped, not both.
 */
export const restore =
  (dest: HostP2m, nrAltp2m: number = MAX_ALTP2M) =>
  (stream: Stream): E.Either<RestoreError, Restored> => {
    const base = makeDomain(dest, nrAltp2m)
    if (E.isLeft(base)) return E.left(restoreError(-1, base.left.message))
    if (stream.domain.type !== DHDR_TYPE.X86_HVM)
      return E.left(
        restoreError(
          -1,
          `domain type ${stream.domain.type} is not x86 HVM (2): altp2m is HVM-only`,
        ),
      )
    const populated = new Set<bigint>()
    const views: View[] = []
    let dropped: O.Option<ReadonlyArray<number>> = O.none
    let staticEnd = stream.image.version < 3
    for (const [i, r] of stream.records.entries()) {
      const err = (m: string): E.Either<RestoreError, never> => E.left(restoreError(i, m))
      switch (r._tag) {
        case 'End':
          break
        case 'StaticDataEnd':
          staticEnd = true
          break
        case 'PageData': {
          if (!staticEnd) return err('PAGE_DATA before STATIC_DATA_END in a v3 stream')
          for (const p of r.pfns) {
            const g = Gfn.unsafe(p.pfn)
            if (p.type === PFINFO.XTAB) {
              populated.delete(p.pfn)
              continue
            }
            const h = lookup(g)(dest)
            if (O.isNone(h) || !isRam(h.value.type))
              return err(`pfn 0x${p.pfn.toString(16)} is not RAM in the destination host p2m`)
            populated.add(p.pfn)
          }
          break
        }
        case 'Altp2mView': {
          const n = r.view
          if (O.isSome(dropped)) return err('ALTP2M_VIEW in a stream that dropped its views')
          if (n.index >= nrAltp2m)
            return err(`view ${n.index} does not fit in ${nrAltp2m} altp2m slots`)
          if (views.some((v) => v.index === n.index)) return err(`view ${n.index} sent twice`)
          const v = denormalise(dest)(n)
          if (E.isLeft(v)) return err(v.left.message)
          views.push(v.right)
          break
        }
        case 'Altp2mDropped':
          if (views.length > 0 || O.isSome(dropped))
            return err('ALTP2M_DROPPED after views were sent or dropped')
          dropped = O.some(r.notify ? r.views : [])
          break
        case 'Other':
          if ((r.type & REC_TYPE_OPTIONAL) !== 0) break
          if (IGNORED.includes(r.type)) break
          return err(
            `mandatory record type 0x${r.type.toString(16)} is not supported by this restore`,
          )
      }
    }
    const notice =
      O.isSome(dropped) && dropped.value.length > 0 ? O.some({ views: dropped.value }) : O.none
    return E.right({
      domain: {
        ...base.right,
        views: views.sort((a, b) => a.index - b.index),
        viewsDropped: notice,
      },
      pfns: [...populated].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(Gfn.unsafe),
    })
  }
