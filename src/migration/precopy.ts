/**
 * Precopy migration driven through the whole dirty-tracking pipeline: each round syncs
 * KVM's logs into QEMU's dirty memory (with manual protect, clearing the kernel's log of
 * what was fetched), ORs the MIGRATION pages into the migration bitmap, and either sends
 * every dirty page and lets the guest run (its writes are the next round's work) or, once
 * the pending pages are at or under the threshold, stops the guest and sends the rest —
 * QEMU's `migration_iteration_run` deciding between `qemu_savevm_state_iterate` and
 * `migration_completion` on `pending_size <= threshold_size`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TaggedError } from '../addresses/show-error.js'
import { PageIndex, type Gpa } from '../addresses/kinds.js'
import * as bitmap from '../bitmap/index.js'
import { changeTopology, guestWrite, migrationRound, type Tracker } from '../dirty/tracker.js'
import type { Topology } from '../region/topology.js'
import {
  remaining,
  sendAll,
  type BlockBitmap,
  type MigrationBitmap,
  type MigrationError,
} from './migration-bitmap.js'

/** What the guest does while a round's pages are being sent. */
export type GuestStep =
  | { readonly _tag: 'Write'; readonly vcpu: number; readonly gpa: Gpa }
  | { readonly _tag: 'Topology'; readonly topology: Topology }

/** Precopy's knobs. */
export interface PrecopyOptions {
  /** Stop iterating once at most this many pages are pending (bandwidth × downtime). */
  readonly thresholdPages: number
  /** Force completion after this many rounds (QEMU has no such limit; tests want one). */
  readonly maxRounds: number
  /** The guest's steps during round i (nothing once it returns none). */
  readonly workload: (round: number) => ReadonlyArray<GuestStep>
  /** Pages never sent (discarded, helper-owned, constant). */
  readonly skip?: (ramPage: PageIndex) => boolean
  /** `clear_bmap_shift` (QEMU's default 18). */
  readonly clearBmapShift?: number
}

/** One round's report. */
export interface RoundReport {
  readonly round: number
  /** Dirty pages pending after the round's sync. */
  readonly pending: number
  /**
   * The `ram_addr_t` pages sent, in send order: blocks in QEMU's RAM list order (largest
   * `max_length` first), ascending within each block.
   */
  readonly sent: ReadonlyArray<PageIndex>
  /** Whether this was the stop-and-copy round. */
  readonly final: boolean
}

/** The outcome: every round, whether the threshold was reached, the final states. */
export interface PrecopyResult {
  readonly rounds: ReadonlyArray<RoundReport>
  /** The pending pages fell to the threshold (not forced by `maxRounds`). */
  readonly converged: boolean
  readonly tracker: Tracker
  readonly bitmap: MigrationBitmap
}

const fail = (cause: TaggedError): MigrationError => ({
  _tag: 'MigrationError',
  message: cause.message,
  cause,
})

/** Sets `ram_addr_t` pages in the blocks' bitmaps (pages outside every used range are dropped). */
export const markDirty =
  (pages: ReadonlyArray<PageIndex>) =>
  (mb: MigrationBitmap): E.Either<MigrationError, MigrationBitmap> => {
    const blocks = [...mb.blocks]
    // Blocks are in send order; walk them in ram_addr_t order against the sorted pages.
    const byAddr = blocks
      .map((_, i) => i)
      .sort((x, y) => (blocks[x] as BlockBitmap).firstPage - (blocks[y] as BlockBitmap).firstPage)
    let k = 0
    const sorted = [...pages].sort((a, b) => a - b)
    for (let i = 0; i < sorted.length;) {
      const p = sorted[i] as number
      while (k < byAddr.length) {
        const b = blocks[byAddr[k] as number]
        if (b !== undefined && p < b.firstPage + b.usedPages) break
        k++
      }
      const bi = byAddr[k]
      const b = bi === undefined ? undefined : blocks[bi]
      if (b === undefined || bi === undefined) break
      if (p < b.firstPage) {
        i++
        continue
      }
      let j = i
      const marked = bitmap.withMutations((tx) => {
        while (j < sorted.length && (sorted[j] as number) < b.firstPage + b.usedPages) {
          tx.set(PageIndex.unsafe((sorted[j] as number) - b.firstPage))
          j++
        }
      })(b.bmap)
      if (E.isLeft(marked)) return E.left(fail(marked.left))
      blocks[bi] = { ...b, bmap: marked.right }
      i = j
    }
    return E.right({ ...mb, blocks })
  }

/**
 * Runs precopy to completion.
 *
 * @example
 * import { mtree, ramblock, Gpa } from 'ramaddr'
 * import * as dirty from 'ramaddr/dirty'
 * import * as migration from 'ramaddr/migration'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const t = mtree.parse('address-space: memory\n  0000000000000000-00000000003fffff (prio 0, ram): pc.ram\n\n')
 * const l = pipe(ramblock.empty(), ramblock.add({ idstr: 'pc.ram', usedLength: 0x400000n }))
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const tr = dirty.tracker.start({ mode: { kind: 'bitmap', manualProtect: true, initiallySet: true } })(t.right, l.right)
 * const mb = migration.bitmap.start()(l.right)
 * assert.ok(either.isRight(tr) && either.isRight(mb))
 * // The guest rewrites 16 pages per round: with a threshold of 8 pages it never converges;
 * // with 16 it stops after the first full pass.
 * const writes = () => Array.from({ length: 16 }, (_, i) => ({ _tag: 'Write', vcpu: 0, gpa: Gpa.unsafe(BigInt(i) << 12n) }))
 * const slow = migration.precopy.precopy({ thresholdPages: 8, maxRounds: 5, workload: writes })(tr.right, mb.right)
 * assert.ok(either.isRight(slow))
 * assert.equal(slow.right.converged, false)
 * assert.deepEqual(slow.right.rounds.map((r) => r.sent.length), [1024, 16, 16, 16, 16])
 * const ok = migration.precopy.precopy({ thresholdPages: 16, maxRounds: 5, workload: writes })(tr.right, mb.right)
 * assert.ok(either.isRight(ok))
 * assert.deepEqual(ok.right.rounds.map((r) => [r.sent.length, r.final]), [[1024, false], [16, true]])
 */
export const precopy =
  (o: PrecopyOptions) =>
  (tr0: Tracker, mb0: MigrationBitmap): E.Either<MigrationError, PrecopyResult> => {
    let tr = tr0
    let mb = mb0
    const rounds: RoundReport[] = []
    for (let round = 0; ; round++) {
      const synced = migrationRound(o.clearBmapShift)(tr)
      if (E.isLeft(synced)) return E.left(fail(synced.left))
      tr = synced.right.tracker
      const marked = markDirty(synced.right.pages)(mb)
      if (E.isLeft(marked)) return marked
      mb = marked.right
      const pending = remaining(mb)
      const final = pending <= o.thresholdPages || round + 1 >= o.maxRounds
      const sent = sendAll(o.skip)(mb)
      if (E.isLeft(sent)) return sent
      mb = sent.right.bitmap
      rounds.push({ round, pending, sent: sent.right.sent, final })
      if (final)
        return E.right({ rounds, converged: pending <= o.thresholdPages, tracker: tr, bitmap: mb })
      for (const step of o.workload(round)) {
        const next =
          step._tag === 'Write'
            ? guestWrite(step.vcpu, step.gpa)(tr)
            : changeTopology(step.topology)(tr)
        if (E.isLeft(next)) return E.left(fail(next.left))
        tr = next.right
      }
    }
  }
