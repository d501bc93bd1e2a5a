/**
 * The KVM memory listener (`kvm_region_add`, `kvm_region_del`, `kvm_log_start`,
 * `kvm_log_stop` in accel/kvm/kvm-all.c, QEMU 7.2): the slot operations a view change
 * causes, applied to a slot table.
 *
 * Deletion looks up the slot with exactly the aligned start and size (no slot: nothing
 * to do) and issues a size-0 call; a slot that logs dirty pages is synced first (the
 * {@link SlotChange.syncBeforeDelete} flag: the dirty-tracking layer harvests it).
 * Addition takes the lowest free slot id. Dirty-log changes rewrite a slot's flags in
 * place, only when the first client starts or the last stops.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { transaction } from '../flatview/diff.js'
import type { FlatRange } from '../flatview/flat-range.js'
import type { FlatView } from '../flatview/flatview.js'
import type { Region } from '../region/region.js'
import { memFlags, slotsOfRange, type KvmOptions, type Memslot } from './memslot.js'
import {
  apply,
  lowestFree,
  matching,
  type KvmSlot,
  type SlotError,
  type SlotOp,
  type SlotTable,
} from './slot-table.js'

/** How to find a range's region and the `ram_addr_t` of its RAMBlock. */
export type Resolver = (
  r: FlatRange,
) => O.Option<{ readonly mr: Region; readonly blockOffset: bigint }>

/** One ioctl and why. */
export interface SlotChange {
  readonly op: SlotOp
  readonly cause: 'del' | 'add' | 'logStart' | 'logStop'
  /** The slot being deleted logged dirty pages: QEMU syncs its log before the call. */
  readonly syncBeforeDelete: boolean
  /** For deletions: the slot as it was. */
  readonly old?: KvmSlot
}

/** The table after a commit and the calls that got it there, in order. */
export interface CommitResult {
  readonly table: SlotTable
  readonly changes: ReadonlyArray<SlotChange>
}

const step = (
  acc: E.Either<SlotError, { table: SlotTable; changes: SlotChange[] }>,
  f: (table: SlotTable) => E.Either<SlotError, ReadonlyArray<SlotChange>>,
): E.Either<SlotError, { table: SlotTable; changes: SlotChange[] }> =>
  E.chain((s: { table: SlotTable; changes: SlotChange[] }) =>
    E.chain((cs: ReadonlyArray<SlotChange>) =>
      E.map((table: SlotTable) => ({ table, changes: [...s.changes, ...cs] }))(
        cs.reduce<E.Either<SlotError, SlotTable>>(
          (t, c) => E.chain(apply(c.op))(t),
          E.right(s.table),
        ),
      ),
    )(f(s.table)),
  )(acc)

const deletions =
  (slots: ReadonlyArray<Memslot>) =>
  (table: SlotTable): E.Either<SlotError, ReadonlyArray<SlotChange>> => {
    const out: SlotChange[] = []
    let t = table
    for (const m of slots) {
      const old = matching(m.gpa, m.size)(t)
      if (old === undefined) break // QEMU stops at the first chunk without a slot
      const change: SlotChange = {
        op: { slot: old.slot, flags: 0, gpa: old.gpa, size: 0n, ramAddr: old.ramAddr },
        cause: 'del',
        syncBeforeDelete: (old.flags & 1) !== 0,
        old,
      }
      out.push(change)
      const next = apply(change.op)(t)
      if (E.isLeft(next)) return next
      t = next.right
    }
    return E.right(out)
  }

const additions =
  (slots: ReadonlyArray<Memslot>) =>
  (table: SlotTable): E.Either<SlotError, ReadonlyArray<SlotChange>> => {
    const out: SlotChange[] = []
    let t = table
    for (const m of slots) {
      const id = lowestFree(t)
      if (id === undefined)
        return E.left({
          _tag: 'NoFreeSlot',
          nrSlots: t.nrSlots,
          gpa: m.gpa,
          message: `no free slot available for 0x${m.gpa.toString(16)} (${t.nrSlots} slots in use)`,
        })
      const change: SlotChange = { op: { slot: id, ...m }, cause: 'add', syncBeforeDelete: false }
      out.push(change)
      const next = apply(change.op)(t)
      if (E.isLeft(next)) return next
      t = next.right
    }
    return E.right(out)
  }

const flagUpdates =
  (slots: ReadonlyArray<Memslot>, cause: 'logStart' | 'logStop') =>
  (table: SlotTable): E.Either<SlotError, ReadonlyArray<SlotChange>> =>
    E.right(
      slots.flatMap((m) => {
        const cur = matching(m.gpa, m.size)(table)
        return cur === undefined || cur.flags === m.flags
          ? []
          : [
              {
                op: {
                  slot: cur.slot,
                  gpa: cur.gpa,
                  size: cur.size,
                  ramAddr: cur.ramAddr,
                  flags: m.flags,
                },
                cause,
                syncBeforeDelete: false,
              },
            ]
      }),
    )

/**
 * The slot calls QEMU makes when the view of the listener's address space changes from
 * `before` to `after` in one transaction, applied to `table`. `resolve` ties ranges of
 * `after` to their regions and RAMBlocks; `resolveBefore` those of `before` (the same
 * resolver unless the two views come from separately parsed dumps).
 *
 * @example
 * import { flatview } from 'ramaddr'
 * import * as kvm from 'ramaddr/kvm'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const mr = { id: 7, name: 'vga.vram', kind: 'ram', size: 0x1000000n, addr: 0n, priority: 1, enabled: true, mayOverlap: true, readonly: false, romd: true, nonvolatile: false, aliasOffset: 0n, dirtyLog: 1, subregions: [] }
 * const at = (start) => ({ start, end: start + 0x1000000n, region: 7, offsetInRegion: 0n, readonly: false, nonvolatile: false, romd: true, dirtyLog: 1 })
 * const resolve = () => option.some({ mr, blockOffset: 0x20080000n })
 * const t0 = kvm.slotTable.apply({ slot: 5, flags: 1, gpa: 0xfd000000n, size: 0x1000000n, ramAddr: 0x20080000n })(kvm.slotTable.empty())
 * assert.ok(either.isRight(t0))
 * const moved = kvm.commit(flatview.fromRanges(option.none, [at(0xfd000000n)]), flatview.fromRanges(option.none, [at(0xe0000000n)]), resolve)(t0.right)
 * assert.ok(either.isRight(moved))
 * assert.deepEqual(moved.right.changes.map((c) => [c.op.slot, c.op.flags, c.op.gpa, c.op.size, c.syncBeforeDelete]), [
 *   [5, 0, 0xfd000000n, 0n, true], // synced, then deleted
 *   [0, 1, 0xe0000000n, 0x1000000n, false], // re-added in the lowest free slot
 * ])
 */
export const commit =
  (
    before: FlatView,
    after: FlatView,
    resolve: Resolver,
    options: KvmOptions = {},
    resolveBefore: Resolver = resolve,
  ) =>
  (table: SlotTable): E.Either<SlotError, CommitResult> => {
    const slotsOf = (
      r: FlatRange,
      dirtyLog = r.dirtyLog,
      by: Resolver = resolve,
    ): ReadonlyArray<Memslot> =>
      O.match(
        () => [],
        (x: { mr: Region; blockOffset: bigint }) =>
          slotsOfRange(x.mr, x.blockOffset, options)({ ...r, dirtyLog }),
      )(by(r))
    let acc: E.Either<SlotError, { table: SlotTable; changes: SlotChange[] }> = E.right({
      table,
      changes: [],
    })
    for (const ev of transaction(before)(after)) {
      if (ev.kind === 'del')
        acc = step(acc, deletions(slotsOf(ev.range, ev.range.dirtyLog, resolveBefore)))
      else if (ev.kind === 'add') acc = step(acc, additions(slotsOf(ev.range)))
      else if ((ev.kind === 'logStart' && ev.old === 0) || (ev.kind === 'logStop' && ev.new === 0))
        acc = step(acc, flagUpdates(slotsOf(ev.range, ev.new), ev.kind))
    }
    return acc
  }

/** The flags a region's slots would carry with this dirty-log mask. */
export { memFlags }
