/**
 * A sequence of pfns held as runs, sent as XALLOC PAGE_DATA records of at most `batch`
 * pfns each: the pages of a migration without one value per page. Xen's sender walks the
 * p2m in batches of `MAX_BATCH_SIZE` pfns (`send_memory_live` and `write_batch`,
 * tools/libs/guest/xg_sr_save.c), so the records depend only on the pfn sequence and the
 * batch size; a 1 TiB guest is one run here and 262,144 records on the wire.
 *
 * The batches run across run boundaries: runs `[0, 3)` and `[10, 12)` with batch 4 are the
 * records `0 1 2 10` and `11`, the same as batching the pfns one by one.
 *
 * @module
 */
import { PFINFO, type PfnEntry, type StreamRecord } from './stream.js'

/** `count` consecutive pfns from `pfn`. */
export interface PfnRun {
  readonly pfn: bigint
  readonly count: bigint
}

/** pfns as runs, to be sent as XALLOC PAGE_DATA records of at most `batch` pfns. */
export interface PageRuns {
  readonly _tag: 'PageRuns'
  readonly runs: ReadonlyArray<PfnRun>
  /** pfns per record; taken as `max(1, floor(batch))`. */
  readonly batch: number
}

/** The batch size actually used: at least 1, a whole number. */
export const batchOf = (p: PageRuns): number =>
  Number.isFinite(p.batch) ? Math.max(1, Math.floor(p.batch)) : 1

/** How many pfns the runs hold (runs with a count of 0 or less hold none). */
export const pfnCount = (p: PageRuns): bigint =>
  p.runs.reduce((n, r) => (r.count > 0n ? n + r.count : n), 0n)

/** How many PAGE_DATA records the runs make. */
export const recordCount = (p: PageRuns): bigint => {
  const b = BigInt(batchOf(p))
  return (pfnCount(p) + b - 1n) / b
}

/** The bytes the records take on the wire: per record an 8-byte header, an 8-byte body header and 8 bytes per pfn. */
export const byteLength = (p: PageRuns): bigint => 16n * recordCount(p) + 8n * pfnCount(p)

/**
 * Runs from ascending pfns, each maximal run of consecutive pfns one {@link PfnRun}.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * assert.deepEqual(xen.pageRuns.runsOf([1n, 2n, 3n, 7n, 9n, 10n]), [
 *   { pfn: 1n, count: 3n }, { pfn: 7n, count: 1n }, { pfn: 9n, count: 2n },
 * ])
 */
export const runsOf = (pfns: ReadonlyArray<bigint>): ReadonlyArray<PfnRun> => {
  const out: PfnRun[] = []
  let start = -1n
  let count = 0n
  for (const p of pfns) {
    if (count > 0n && p === start + count) count++
    else {
      if (count > 0n) out.push({ pfn: start, count })
      start = p
      count = 1n
    }
  }
  if (count > 0n) out.push({ pfn: start, count })
  return out
}

/**
 * The PAGE_DATA records, one value per pfn: for small sequences (the model, tests).
 * A lazy iterable, so a caller can stop early; what `encodeChunks` writes for the same
 * runs is these records' bytes.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * const recs = [...xen.pageRuns.records({ _tag: 'PageRuns', runs: [{ pfn: 0n, count: 3n }, { pfn: 10n, count: 2n }], batch: 4 })]
 * assert.deepEqual(recs.map((r) => r.pfns.map((p) => p.pfn)), [[0n, 1n, 2n, 10n], [11n]])
 */
export function* records(
  p: PageRuns,
): Generator<Extract<StreamRecord, { _tag: 'PageData' }>, void, undefined> {
  const b = batchOf(p)
  let batch: PfnEntry[] = []
  for (const r of p.runs)
    for (let k = 0n; k < r.count; k++) {
      batch.push({ pfn: r.pfn + k, type: PFINFO.XALLOC })
      if (batch.length === b) {
        yield { _tag: 'PageData', pfns: batch, data: new Uint8Array(0) }
        batch = []
      }
    }
  if (batch.length > 0) yield { _tag: 'PageData', pfns: batch, data: new Uint8Array(0) }
}
