/**
 * The dirty-tracking pipeline of a KVM guest, as one value that the VMM's steps fold:
 * the translator of address space `memory`, the KVM slot table, the kernel's dirty state
 * (bitmap, manual-protect or ring mode) and QEMU's `ram_addr_t`-keyed dirty memory.
 *
 * It follows QEMU 7.2 (accel/kvm/kvm-all.c, softmmu/physmem.c):
 * - a guest write to a logging slot is recorded by the kernel; to a read-only slot it
 *   traps and is dropped (ROM); to RAM with no slot (a sub-page piece) QEMU emulates it
 *   and marks the page dirty itself (`invalidate_and_set_dirty`);
 * - a topology change runs the KVM listener's calls; a slot that logs is harvested into
 *   the `ram_addr_t` bitmaps before it is deleted (`kvm_slot_sync_dirty_pages`; with a
 *   ring, every ring is reaped first), so BAR moves, PAM switches and decode toggles lose
 *   no dirty page;
 * - a log sync folds every logging slot's `KVM_GET_DIRTY_LOG` into the bitmaps
 *   (`kvm_physical_sync_dirty_bitmap`, `cpu_physical_memory_set_dirty_lebitmap`), or reaps
 *   the rings (`kvm_log_sync_global`);
 * - a ring that reaches its soft limit makes the vCPU exit; QEMU reaps every ring;
 * - with manual protect, clearing migration pages clears the kernel's log only for pages
 *   QEMU has already fetched (`kvm_log_clear_one_slot`).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TaggedError } from '../addresses/show-error.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as bitmap from '../bitmap/index.js'
import { commit } from '../kvm/listener.js'
import { resolverOf } from '../kvm/from-map.js'
import * as kernel from '../kvm/kernel-dirty.js'
import type { KernelDirty, LogMode } from '../kvm/kernel-dirty.js'
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY } from '../kvm/memslot.js'
import * as slotTable from '../kvm/slot-table.js'
import type { KvmSlot, SlotTable } from '../kvm/slot-table.js'
import { fromRanges } from '../flatview/flatview.js'
import { lastRamPage } from '../ramblock/ram-list.js'
import type { RamList } from '../ramblock/ram-list.js'
import { alignIds } from '../region/correspond.js'
import { DIRTY_MEMORY_MIGRATION, DIRTY_MEMORY_VGA } from '../region/region.js'
import type { Topology } from '../region/topology.js'
import { make, translationOfGpa, type AddressMap } from '../translate/address-map.js'
import { PageIndex, RamAddr, Size, type Gpa } from '../addresses/kinds.js'
import * as memory from './dirty-memory.js'
import type { DirtyMemory } from './dirty-memory.js'

/** How the guest is tracked. */
export interface TrackerOptions {
  readonly mode: LogMode
  readonly vcpus?: number
  /** KVM's slot count (default 509). */
  readonly nrSlots?: number
  /** Migration's global dirty logging (default on: every RAM slot logs). */
  readonly globalDirtyLog?: boolean
}

/** The whole pipeline's state. */
export interface Tracker {
  readonly options: TrackerOptions
  readonly ramList: RamList
  readonly map: AddressMap
  readonly slots: SlotTable
  readonly kernel: KernelDirty
  readonly memory: DirtyMemory
  /** Manual protect: each slot's last fetched log (QEMU's cached `dirty_bmap`). */
  readonly fetched: ReadonlyMap<number, BigUint64Array>
}

/** A pipeline step that could not be carried out. */
export interface TrackerError {
  readonly _tag: 'TrackerError'
  readonly message: string
  /** The error of the layer below (a translation, slot, kernel or dirty-memory error) this one wraps, when there is one. */
  readonly cause?: TaggedError
}

const fail = (e: { readonly message: string; readonly _tag?: string }): TrackerError =>
  e._tag === undefined
    ? { _tag: 'TrackerError', message: e.message }
    : { _tag: 'TrackerError', message: e.message, cause: e as TaggedError }
const HOST_PAGE = Size.unsafe(0x1000n)

const renderOptions = (o: TrackerOptions) => ({ globalDirtyLog: o.globalDirtyLog ?? true })

/**
 * Starts tracking a machine: renders `memory`, creates the slots (as the listener's
 * registration replays the view), and allocates the dirty bitmaps with every block's
 * used range dirty (`ram_block_add`).
 */
export const start =
  (options: TrackerOptions) =>
  (topology: Topology, ramList: RamList): E.Either<TrackerError, Tracker> =>
    pipe(
      make({ topology, ramList, render: renderOptions(options) }),
      E.mapLeft(fail),
      E.chain((map) =>
        pipe(
          commit(
            fromRanges(O.none, []),
            map.view,
            resolverOf(map),
          )(slotTable.empty(options.nrSlots)),
          E.mapLeft(fail),
          E.chain((c) =>
            pipe(
              memory.init(Number(lastRamPage(ramList))),
              E.mapLeft(fail),
              E.chain((dm0) =>
                ramList.blocks.reduce<E.Either<TrackerError, DirtyMemory>>(
                  (acc, b) =>
                    pipe(
                      acc,
                      E.chain((dm) =>
                        pipe(
                          dm,
                          memory.setDirtyRange(b.offset, b.usedLength, 0b111),
                          E.mapLeft(fail),
                        ),
                      ),
                    ),
                  E.right(dm0),
                ),
              ),
              E.map((dm) => ({
                options,
                ramList,
                map,
                slots: c.table,
                kernel: c.changes.reduce(
                  (k, ch) => kernel.setUserMemoryRegion(ch.op)(k),
                  kernel.init(options.mode, options.vcpus ?? 1),
                ),
                memory: dm,
                fetched: new Map(),
              })),
            ),
          ),
        ),
      ),
    )

const slotAt = (t: SlotTable, gpa: bigint): KvmSlot | undefined =>
  slotTable.used(t).find((s) => s.gpa <= gpa && gpa < s.gpa + s.size)

const lebitmapOptions = (tr: Tracker) => ({ globalDirtyLog: tr.options.globalDirtyLog ?? true })

/** Folds one slot's fetched log into the dirty memory. */
const foldSlot = (
  tr: Tracker,
  slot: KvmSlot,
  words: BigUint64Array,
): E.Either<TrackerError, Tracker> =>
  pipe(
    tr.memory,
    memory.setDirtyLebitmap({
      words,
      // the slot's ram_addr_t is one by construction (the listener takes it from a block)
      base: memory.pageOf(RamAddr.unsafe(slot.ramAddr))(tr.memory),
      pages: Number(slot.size / HOST_PAGE),
      ...lebitmapOptions(tr),
    }),
    E.bimap(fail, (m) => ({ ...tr, memory: m })),
  )

/** `KVM_GET_DIRTY_LOG` of one slot folded into the bitmaps (bitmap modes). */
const syncSlot = (tr: Tracker, slot: KvmSlot): E.Either<TrackerError, Tracker> => {
  const got = kernel.getDirtyLog(slot.slot)(tr.kernel)
  if (E.isLeft(got)) return E.right(tr) // not logging: nothing to fetch (-ENOENT is success)
  const manual = tr.options.mode.kind === 'bitmap' && tr.options.mode.manualProtect
  return foldSlot(
    {
      ...tr,
      kernel: got.right.kernel,
      fetched: manual ? new Map(tr.fetched).set(slot.slot, got.right.bitmap) : tr.fetched,
    },
    slot,
    got.right.bitmap,
  )
}

/**
 * Reaps every vCPU's ring into the bitmaps and resets them (`kvm_dirty_ring_reap`):
 * entries of slots that no longer exist, or past a slot's end, are dropped.
 */
export const reapRings = (tr: Tracker): E.Either<TrackerError, Tracker> => {
  let k = tr.kernel
  let dm: E.Either<TrackerError, DirtyMemory> = E.right(tr.memory)
  for (let v = 0; v < k.rings.length; v++) {
    const h = kernel.harvest(v)(k)
    k = h.kernel
    for (const e of h.entries) {
      const slot = tr.slots.slots[e.slot & 0xffff]
      if (
        slot === undefined ||
        e.slot >> 16 !== tr.slots.asId ||
        BigInt(e.offset) * HOST_PAGE >= slot.size
      )
        continue
      const addr = RamAddr.unsafe(slot.ramAddr + BigInt(e.offset) * HOST_PAGE)
      dm = pipe(
        dm,
        E.chain((m) =>
          pipe(
            m,
            memory.setDirtyRange(
              addr,
              HOST_PAGE,
              DIRTY_MEMORY_VGA | ((tr.options.globalDirtyLog ?? true) ? DIRTY_MEMORY_MIGRATION : 0),
            ),
            E.mapLeft(fail),
          ),
        ),
      )
    }
  }
  return pipe(
    dm,
    E.map((m) => ({ ...tr, kernel: kernel.resetDirtyRings(k).kernel, memory: m })),
  )
}

/** A log sync of every logging slot (`memory_global_dirty_log_sync`). */
export const logSync = (tr: Tracker): E.Either<TrackerError, Tracker> =>
  tr.options.mode.kind === 'ring'
    ? reapRings(tr)
    : slotTable
        .used(tr.slots)
        .filter((s) => (s.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0)
        .reduce<E.Either<TrackerError, Tracker>>(
          (acc, s) => E.chain((t: Tracker) => syncSlot(t, s))(acc),
          E.right(tr),
        )

/**
 * A guest write by `vcpu` to `gpa`: recorded by KVM in a logging slot, dropped by a
 * read-only slot, or emulated by QEMU (and marked dirty there) for RAM without a slot.
 */
export const guestWrite =
  (vcpu: number, gpa: Gpa) =>
  (tr: Tracker): E.Either<TrackerError, Tracker> => {
    const slot = slotAt(tr.slots, gpa)
    if (slot !== undefined) {
      if ((slot.flags & KVM_MEM_READONLY) !== 0) return E.right(tr)
      const page = PageIndex.unsafe(Number((gpa - slot.gpa) / HOST_PAGE))
      const w = kernel.guestWrite(vcpu, slot.slot, page)(tr.kernel)
      const next = { ...tr, kernel: w.kernel }
      return w.ringFull ? reapRings(next) : E.right(next)
    }
    const x = translationOfGpa(gpa)(tr.map)
    if (x._tag !== 'Ram' || x.readonly) return E.right(tr)
    const range = tr.map.view.ranges.find((r) => r.start <= gpa && gpa < r.end)
    return pipe(
      tr.memory,
      memory.setDirtyRange(x.ramAddr, Size.unsafe(1n), range?.dirtyLog ?? 0),
      E.bimap(fail, (m) => ({ ...tr, memory: m })),
    )
  }

/**
 * Moves to a new topology of the same machine (a BAR move, a PAM or SMRAM switch, decoding
 * turned off or on): the KVM listener's calls, each logging slot harvested before it is
 * deleted. `next` is normally an edit of the current topology (same region ids); pass
 * `align: true` for a separately parsed dump of the machine (its ids are matched first,
 * see `topology.alignIds`).
 */
export const changeTopology =
  (next: Topology, align = false) =>
  (tr: Tracker): E.Either<TrackerError, Tracker> =>
    pipe(
      make({
        topology: align ? alignIds(tr.map.topology)(next) : next,
        ramList: tr.ramList,
        render: renderOptions(tr.options),
      }),
      E.mapLeft(fail),
      E.chain((map) =>
        pipe(
          commit(tr.map.view, map.view, resolverOf(map), {}, resolverOf(tr.map))(tr.slots),
          E.mapLeft(fail),
          E.chain((c) =>
            c.changes.reduce<E.Either<TrackerError, Tracker>>(
              (acc, ch) =>
                pipe(
                  acc,
                  E.chain((t) => {
                    if (ch.cause !== 'del' || !ch.syncBeforeDelete || ch.old === undefined)
                      return E.right(t)
                    return t.options.mode.kind === 'ring' ? reapRings(t) : syncSlot(t, ch.old)
                  }),
                  E.chain((t) =>
                    pipe(
                      slotTable.apply(ch.op)(t.slots),
                      E.bimap(fail, (slots) => {
                        const fetched = new Map(t.fetched)
                        fetched.delete(ch.op.slot)
                        return {
                          ...t,
                          slots,
                          kernel: kernel.setUserMemoryRegion(ch.op)(t.kernel),
                          fetched,
                        }
                      }),
                    ),
                  ),
                ),
              E.right({ ...tr, map }),
            ),
          ),
        ),
      ),
    )

/**
 * `memory_region_clear_dirty_bitmap` down to KVM (`kvm_physical_log_clear`,
 * `kvm_log_clear_one_slot`) for `[ramStart, ramStart + length)` of `ram_addr_t`, with
 * manual protect: for every logging slot overlapping it, the range is widened to 64-page
 * units from an aligned first page (clamped to the slot end), and only pages QEMU has
 * already fetched are cleared — the pages before `ramStart` never are. Without manual
 * protect it does nothing.
 */
export const logClear =
  (ramStart: RamAddr, length: Size) =>
  (tr: Tracker): E.Either<TrackerError, Tracker> => {
    if (tr.options.mode.kind !== 'bitmap' || !tr.options.mode.manualProtect || length <= 0n)
      return E.right(tr)
    let k = tr.kernel
    const fetched = new Map(tr.fetched)
    for (const slot of slotTable.used(tr.slots)) {
      const words = fetched.get(slot.slot)
      if (words === undefined || (slot.flags & KVM_MEM_LOG_DIRTY_PAGES) === 0) continue
      const s = ramStart > slot.ramAddr ? ramStart : slot.ramAddr
      const e =
        ramStart + length < slot.ramAddr + slot.size ? ramStart + length : slot.ramAddr + slot.size
      if (s >= e) continue
      const pages = Number(slot.size / HOST_PAGE)
      const startPage = Number((s - slot.ramAddr) / HOST_PAGE)
      const endPage = Number((e - slot.ramAddr + HOST_PAGE - 1n) / HOST_PAGE)
      const first = startPage - (startPage % 64)
      const num = Math.min(Math.ceil((endPage - first) / 64) * 64, pages - first)
      // the pages to clear: fetched ones in [startPage, first + num); leading ones zeroed
      const mask = new BigUint64Array(Math.ceil(num / 64))
      for (let i = startPage - first; i < num; i++) {
        const p = first + i
        if ((((words[p >> 6] ?? 0n) >> BigInt(p & 63)) & 1n) === 1n)
          mask[i >> 6] = (mask[i >> 6] as bigint) | (1n << BigInt(i & 63))
      }
      const cleared = kernel.clearDirtyLog(slot.slot, {
        words: mask,
        base: PageIndex.unsafe(first),
        pages: num,
      })(k)
      if (E.isLeft(cleared)) return E.left(fail(cleared.left))
      k = cleared.right
      // QEMU also clears the range in its cached bitmap, so a second clear stays local
      const left = new BigUint64Array(words)
      for (let p = startPage; p < endPage && p < pages; p++)
        left[p >> 6] = (left[p >> 6] as bigint) & ~(1n << BigInt(p & 63))
      fetched.set(slot.slot, left)
    }
    return E.right({ ...tr, kernel: k, fetched })
  }

/** What a migration sync hands to the sender. */
export interface MigrationSync {
  readonly tracker: Tracker
  /** Target pages of `ram_addr_t` to send, ascending. */
  readonly pages: ReadonlyArray<PageIndex>
  /** Chunks (of `2^clearBmapShift` pages) whose KVM log is still to clear (`clear_bmap`). */
  readonly chunks: ReadonlyArray<number>
}

/**
 * The first half of a round (`migration_bitmap_sync` with manual protect): sync every
 * slot, take the MIGRATION pages and clear them in QEMU, and remember which chunks must
 * have their KVM log cleared before their first page is sent ({@link clearChunk}). Guest
 * writes may happen in between; a chunk clear never drops them.
 */
export const migrationSync =
  (clearBmapShift = 18) =>
  (tr: Tracker): E.Either<TrackerError, MigrationSync> =>
    pipe(
      logSync(tr),
      E.chain((t) => {
        const pages = bitmap.toPages(t.memory.clients[2])
        return pipe(
          t.memory,
          memory.testAndClear(
            RamAddr.unsafe(0n),
            Size.unsafe(BigInt(t.memory.pages) << BigInt(t.memory.targetPageBits)),
            2,
          ),
          E.bimap(fail, ({ memory: m }) => ({
            tracker: { ...t, memory: m },
            pages,
            chunks: [...new Set(pages.map((p) => Math.floor(p / 2 ** clearBmapShift)))],
          })),
        )
      }),
    )

/**
 * The lazy clear of one `clear_bmap` chunk before its pages are sent
 * (`migration_clear_memory_region_dirty_bitmap` -> {@link logClear}).
 */
export const clearChunk =
  (chunk: number, clearBmapShift = 18) =>
  (tr: Tracker): E.Either<TrackerError, Tracker> => {
    const bits = BigInt(tr.memory.targetPageBits)
    return logClear(
      RamAddr.unsafe(BigInt(chunk * 2 ** clearBmapShift) << bits),
      Size.unsafe(BigInt(2 ** clearBmapShift) << bits),
    )(tr)
  }

/**
 * One migration round's bookkeeping: sync, then take and clear every page dirty for
 * MIGRATION (`migration_bitmap_sync` + sending), clearing the kernel's log of the pages
 * QEMU fetched when manual protect is on. Returns the pages (target-page indexes of
 * `ram_addr_t`) the round must send.
 */
export const migrationRound =
  (clearBmapShift = 18) =>
  (
    tr: Tracker,
  ): E.Either<
    TrackerError,
    { readonly tracker: Tracker; readonly pages: ReadonlyArray<PageIndex> }
  > =>
    pipe(
      migrationSync(clearBmapShift)(tr),
      E.chain((s) =>
        pipe(
          s.chunks.reduce<E.Either<TrackerError, Tracker>>(
            (acc, c) => E.chain(clearChunk(c, clearBmapShift))(acc),
            E.right(s.tracker),
          ),
          E.map((tracker) => ({ tracker, pages: s.pages })),
        ),
      ),
    )
