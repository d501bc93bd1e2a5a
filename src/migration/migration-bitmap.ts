/**
 * Precopy migration's own dirty bitmap (QEMU migration/ram.c): one bitmap per RAMBlock
 * (`rb->bmap`), all ones when migration starts (`ram_list_init_bitmaps`), fed from the
 * MIGRATION client of the global dirty memory at each sync
 * (`ramblock_sync_dirty_bitmap`: OR in, and clear the global bits), scanned for the next
 * dirty page, and cleared page by page as pages are sent
 * (`migration_bitmap_clear_dirty`). Pages are target pages within each block; the
 * scan covers `used_length`.
 *
 * Blocks are kept in the order QEMU's precopy walks them: its RAM list order
 * (`RAMBLOCK_FOREACH_NOT_IGNORED` in migration/ram.c `find_dirty_block`, 7.2 and 10.0),
 * which `ram_block_add` (softmmu/physmem.c in 7.2, system/physmem.c in 10.0) keeps sorted
 * by descending `max_length`, a block of equal `max_length` going after those already
 * there; blocks that are not migratable (`ramblock_is_ignored`) have no bitmap and are
 * never sent. Within a block pages go by ascending offset
 * (`migration_bitmap_find_dirty`). So "the next dirty page" is the next in that order,
 * not in `ram_addr_t` order: `/rom@etc/acpi/tables` (2 MiB reserved) goes before
 * `pc.bios` (256 KiB) although its `ram_addr_t` is higher. Pages to skip (discarded,
 * constant, helper-owned) come from a predicate.
 *
 * Not modelled: after a bitmap sync QEMU resumes the walk where it stopped
 * (`ram_find_and_save_block`: `last_seen_block`, `last_page`; at the last page sent, or at
 * the end of its block when a fruitless search round ran before the sync) and wraps to the
 * list head, while a pass here starts at the list head: QEMU's pass is this order rotated.
 * Recorded 7.2 and 10.0 streams show both (test/migration/stream-conformance.test.ts).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TaggedError } from '../addresses/show-error.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../addresses/kinds.js'
import { indexOf, type PageSize } from '../addresses/page.js'
import * as bitmap from '../bitmap/index.js'
import type { PageBitmap } from '../bitmap/index.js'
import type { DirtyMemory } from '../dirty/dirty-memory.js'
import type { RamList } from '../ramblock/ram-list.js'
import type { RAMBlock } from '../ramblock/ramblock.js'

/** One block's migration bitmap. */
export interface BlockBitmap {
  readonly idstr: string
  /** First target page of the block in `ram_addr_t` space. */
  readonly firstPage: PageIndex
  /** Target pages of `used_length` (a count), the part that is scanned and sent. */
  readonly usedPages: number
  /** Bit i = page i of the block is dirty (covers `max_length`). */
  readonly bmap: PageBitmap
}

/** The migration bitmaps of every migratable block, in QEMU's RAM list order (the send order). */
export interface MigrationBitmap {
  readonly blocks: ReadonlyArray<BlockBitmap>
  readonly targetPageBits: number
}

/** A migration bitmap error. */
export interface MigrationError {
  readonly _tag: 'MigrationError'
  readonly message: string
  /** The error of the bitmap layer this one wraps, when there is one. */
  readonly cause?: TaggedError
}

const fail = (e: { readonly message: string; readonly _tag?: string }): MigrationError =>
  e._tag === undefined
    ? { _tag: 'MigrationError', message: e.message }
    : { _tag: 'MigrationError', message: e.message, cause: e as TaggedError }

/**
 * Every migratable block of `list` all dirty (`ram_list_init_bitmaps`): what migration
 * sends in its first pass, in the list's order (QEMU's: descending `max_length`, ties in
 * creation order; see the module comment). Pages are target pages of
 * `2^targetPageBits` bytes (default 12: 4 KiB). `migratable` says which blocks migrate
 * (QEMU: `qemu_ram_is_migratable`, set when a device registers its RAM with
 * `vmstate_register_ram`, which also names the block; default: every named block, so a
 * memory backend's block that no device has registered, idstr `''`, is not sent).
 *
 * @example
 * import { ramblock } from 'ramaddr'
 * import * as migration from 'ramaddr/migration'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(ramblock.empty(), ramblock.add({ idstr: 'pc.ram', usedLength: 0x100000n }))
 * assert.ok(either.isRight(list))
 * const mb = migration.bitmap.start()(list.right)
 * assert.ok(either.isRight(mb))
 * assert.equal(migration.bitmap.remaining(mb.right), 256)
 * // pc.bios has the lower ram_addr_t, but the larger reserved blob is walked first
 * const two = pipe(
 *   list.right,
 *   ramblock.add({ idstr: 'pc.bios', usedLength: 0x40000n }),
 *   either.chain(ramblock.add({ idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x200000n })),
 * )
 * assert.ok(either.isRight(two))
 * const order = migration.bitmap.start()(two.right)
 * assert.ok(either.isRight(order))
 * assert.deepEqual(order.right.blocks.map((b) => b.idstr), ['/rom@etc/acpi/tables', 'pc.ram', 'pc.bios'])
 */
export const start =
  (targetPageBits = 12, migratable: (block: RAMBlock) => boolean = (b) => b.idstr !== '') =>
  (list: RamList): E.Either<MigrationError, MigrationBitmap> => {
    const bits = BigInt(targetPageBits)
    const pageOf = indexOf((1n << bits) as PageSize)
    return pipe(
      E.sequenceArray(
        list.blocks.filter(migratable).map((b) =>
          pipe(
            bitmap.full(Number(b.maxLength >> bits)),
            E.bimap(fail, (bmap) => ({
              idstr: b.idstr,
              firstPage: pageOf(b.offset),
              usedPages: Number(b.usedLength >> bits),
              bmap,
            })),
          ),
        ),
      ),
      E.map((blocks) => ({ blocks, targetPageBits })),
    )
  }

const FIRST = PageIndex.unsafe(0)

/** The dirty pages of a block's used range. */
const usedDirty = (b: BlockBitmap): number =>
  E.getOrElse(() => 0)(bitmap.countRange(FIRST, PageIndex.unsafe(b.usedPages))(b.bmap))

/** Dirty pages left to send (over each block's used length). */
export const remaining = (mb: MigrationBitmap): number =>
  mb.blocks.reduce((n, b) => n + usedDirty(b), 0)

/** What a sync did. */
export interface SyncResult {
  readonly bitmap: MigrationBitmap
  /** The global dirty memory with the MIGRATION bits taken. */
  readonly memory: DirtyMemory
  /** Pages newly dirty in this period (`num_dirty_pages_period`). */
  readonly newlyDirty: number
}

/**
 * `migration_bitmap_sync`: for each block, OR the MIGRATION client's bits over the
 * block's used range into its bitmap and clear them in the global bitmap.
 */
export const sync =
  (memory: DirtyMemory) =>
  (mb: MigrationBitmap): E.Either<MigrationError, SyncResult> => {
    let global = memory.clients[2]
    let newly = 0
    const blocks: BlockBitmap[] = []
    for (const b of mb.blocks) {
      const end = PageIndex.unsafe(b.firstPage + b.usedPages)
      const taken = bitmap.slice(b.firstPage, end)(global)
      if (E.isLeft(taken)) return E.left(fail(taken.left))
      const placed = pipe(bitmap.empty(b.bmap.pages), E.chainW(bitmap.setSlice(FIRST, taken.right)))
      if (E.isLeft(placed)) return E.left(fail(placed.left))
      const before = usedDirty(b)
      const merged = bitmap.union(placed.right)(b.bmap)
      if (E.isLeft(merged)) return E.left(fail(merged.left))
      newly += usedDirty({ ...b, bmap: merged.right }) - before
      const cleared = bitmap.clearRange(b.firstPage, end)(global)
      if (E.isLeft(cleared)) return E.left(fail(cleared.left))
      global = cleared.right
      blocks.push({ ...b, bmap: merged.right })
    }
    const clients = [...memory.clients] as PageBitmap[]
    clients[2] = global
    return E.right({
      bitmap: { ...mb, blocks },
      memory: { ...memory, clients: clients as unknown as DirtyMemory['clients'] },
      newlyDirty: newly,
    })
  }

/** A dirty page: its block and the page within it, and its `ram_addr_t` page. */
export interface DirtyPage {
  readonly block: number
  readonly page: PageIndex
  readonly ramPage: PageIndex
}

/**
 * The next dirty page at or after (`block`, `page`) in send order (blocks in list order,
 * pages ascending within each), skipping pages `skip` says need not be sent
 * (`find_dirty_block` / `migration_bitmap_find_dirty`), without wrapping to the list head.
 */
export const nextDirty =
  (
    from: { readonly block: number; readonly page: PageIndex },
    skip: (ramPage: PageIndex) => boolean = () => false,
  ) =>
  (mb: MigrationBitmap): O.Option<DirtyPage> => {
    for (let bi = from.block; bi < mb.blocks.length; bi++) {
      const b = mb.blocks[bi] as BlockBitmap
      let p = bi === from.block ? from.page : FIRST
      for (;;) {
        const next = bitmap.nextSet(p)(b.bmap)
        if (O.isNone(next) || next.value >= b.usedPages) break
        const ramPage = PageIndex.unsafe(b.firstPage + next.value)
        if (!skip(ramPage)) return O.some({ block: bi, page: next.value, ramPage })
        p = PageIndex.unsafe(next.value + 1)
      }
    }
    return O.none
  }

/** Marks a page sent (`migration_bitmap_clear_dirty`). */
export const sent =
  (page: DirtyPage) =>
  (mb: MigrationBitmap): E.Either<MigrationError, MigrationBitmap> => {
    const b = mb.blocks[page.block]
    if (b === undefined) return E.left(fail({ message: `no block ${page.block}` }))
    return pipe(
      bitmap.clear(page.page)(b.bmap),
      E.bimap(fail, (bmap) => {
        const blocks = [...mb.blocks]
        blocks[page.block] = { ...b, bmap }
        return { ...mb, blocks }
      }),
    )
  }

/**
 * Sends every dirty page once (one precopy pass from the list head): the `ram_addr_t`
 * pages sent, in the order QEMU sends them (blocks in list order, ascending within each
 * block), and the bitmap with them cleared. Skipped pages are cleared without being sent.
 */
export const sendAll =
  (skip: (ramPage: PageIndex) => boolean = () => false) =>
  (
    mb: MigrationBitmap,
  ): E.Either<
    MigrationError,
    { readonly bitmap: MigrationBitmap; readonly sent: ReadonlyArray<PageIndex> }
  > => {
    const out: PageIndex[] = []
    const blocks: BlockBitmap[] = []
    for (const b of mb.blocks) {
      for (const p of bitmap.toPages(b.bmap)) {
        if (p >= b.usedPages) continue
        const ramPage = PageIndex.unsafe(b.firstPage + p)
        if (!skip(ramPage)) out.push(ramPage)
      }
      const cleared = bitmap.clearRange(FIRST, PageIndex.unsafe(b.usedPages))(b.bmap)
      if (E.isLeft(cleared)) return E.left(fail(cleared.left))
      blocks.push({ ...b, bmap: cleared.right })
    }
    return E.right({ bitmap: { ...mb, blocks }, sent: out })
  }
