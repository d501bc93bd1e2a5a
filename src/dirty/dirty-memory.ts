/**
 * QEMU's dirty memory (`ram_list.dirty_memory[DIRTY_MEMORY_NUM]`, include/exec/ram_addr.h):
 * one bitmap per client — VGA, CODE, MIGRATION — over every target page of `ram_addr_t`
 * space, keyed by `ram_addr_t >> TARGET_PAGE_BITS` so that it survives BAR moves and slot
 * changes. Grow-only, as `dirty_memory_extend` is.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TaggedError } from '../addresses/show-error.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex, type RamAddr, type Size } from '../addresses/kinds.js'
import {
  indexOf,
  isAligned,
  pagesTouched,
  type PageRange,
  type PageSize,
} from '../addresses/page.js'
import * as bitmap from '../bitmap/index.js'
import { bitsOf } from '../bitmap/le-words.js'
import type { LeFold, PageBitmap } from '../bitmap/index.js'
import { DIRTY_MEMORY_CODE, DIRTY_MEMORY_MIGRATION, DIRTY_MEMORY_VGA } from '../region/region.js'

/** The three clients' bitmaps, indexed by client number (VGA 0, CODE 1, MIGRATION 2). */
export interface DirtyMemory {
  /** Target pages covered: `[0, pages)` of `ram_addr_t >> TARGET_PAGE_BITS`. */
  readonly pages: number
  readonly targetPageBits: number
  readonly clients: readonly [PageBitmap, PageBitmap, PageBitmap]
}

/** A dirty-memory error: a range outside the bitmaps, or a bad page count. */
export interface DirtyError {
  readonly _tag: 'DirtyError'
  readonly message: string
  /** The error of the bitmap layer this one wraps, when there is one. */
  readonly cause?: TaggedError
}

const fail = (e: { readonly message: string; readonly _tag?: string }): DirtyError =>
  e._tag === undefined
    ? { _tag: 'DirtyError', message: e.message }
    : { _tag: 'DirtyError', message: e.message, cause: e as TaggedError }

/** Client numbers (QEMU `DIRTY_MEMORY_VGA` … as indexes). */
export type Client = 0 | 1 | 2
/** The mask bit of each client, as `memory_region_get_dirty_log_mask` builds masks. */
export const CLIENT_BITS: readonly [number, number, number] = [
  DIRTY_MEMORY_VGA,
  DIRTY_MEMORY_CODE,
  DIRTY_MEMORY_MIGRATION,
]

/**
 * Empty bitmaps over `pages` target pages (`last_ram_page()`).
 *
 * @example
 * import * as dirty from 'ramaddr/dirty'
 * import * as either from 'fp-ts/lib/Either.js'
 * const dm = dirty.memory.init(0x21341)
 * assert.ok(either.isRight(dm))
 * assert.equal(dm.right.pages, 0x21341)
 */
export const init = (pages: number, targetPageBits = 12): E.Either<DirtyError, DirtyMemory> =>
  pipe(
    bitmap.empty(pages),
    E.bimap(fail, (b) => ({ pages, targetPageBits, clients: [b, b, b] as const })),
  )

/** Grows the bitmaps to `pages` (never shrinks; new pages start clean). */
export const extend =
  (pages: number) =>
  (dm: DirtyMemory): E.Either<DirtyError, DirtyMemory> => {
    if (pages <= dm.pages) return E.right(dm)
    return pipe(
      bitmap.empty(pages),
      E.mapLeft(fail),
      E.chain((fresh) =>
        pipe(
          E.sequenceArray(
            dm.clients.map((c) =>
              pipe(fresh, bitmap.setSlice(PageIndex.unsafe(0), c), E.mapLeft(fail)),
            ),
          ),
          E.map((cs) => ({
            ...dm,
            pages,
            clients: [cs[0], cs[1], cs[2]] as unknown as DirtyMemory['clients'],
          })),
        ),
      ),
    )
  }

/** The target page size, `1 << targetPageBits`. */
const targetPageSize = (dm: DirtyMemory): PageSize => (1n << BigInt(dm.targetPageBits)) as PageSize

/**
 * The target page holding `addr` (`addr >> TARGET_PAGE_BITS`): where the bitmaps keep it.
 *
 * @example
 * import { RamAddr } from 'ramaddr'
 * import * as dirty from 'ramaddr/dirty'
 * import * as either from 'fp-ts/lib/Either.js'
 * const dm = dirty.memory.init(0x100)
 * assert.ok(either.isRight(dm))
 * assert.equal(dirty.memory.pageOf(RamAddr.unsafe(0x42fffn))(dm.right), 0x42)
 */
export const pageOf =
  (addr: RamAddr) =>
  (dm: DirtyMemory): PageIndex =>
    indexOf(targetPageSize(dm))(addr)

/**
 * The target pages `[first, end)` that `[start, start + length)` of `ram_addr_t` touches, as
 * QEMU computes them (`start >> TARGET_PAGE_BITS` to
 * `TARGET_PAGE_ALIGN(start + length) >> TARGET_PAGE_BITS`): for a length of 0 that is no
 * page, or the page holding an unaligned `start`.
 *
 * @example
 * import { RamAddr, Size } from 'ramaddr'
 * import * as dirty from 'ramaddr/dirty'
 * import * as either from 'fp-ts/lib/Either.js'
 * const dm = dirty.memory.init(0x100)
 * assert.ok(either.isRight(dm))
 * assert.deepEqual(dirty.memory.pagesOf(RamAddr.unsafe(0x1fffn), Size.unsafe(2n))(dm.right), { start: 1, end: 3 })
 */
export const pagesOf =
  (start: RamAddr, length: Size) =>
  (dm: DirtyMemory): PageRange => {
    const ps = targetPageSize(dm)
    const r = pagesTouched(ps)({ start, end: start + length })
    return length === 0n && !isAligned(ps)(start)
      ? { start: r.start, end: PageIndex.unsafe(r.start + 1) }
      : r
  }

const mapClients = (
  dm: DirtyMemory,
  mask: number,
  f: (b: PageBitmap) => E.Either<{ readonly message: string }, PageBitmap>,
): E.Either<DirtyError, DirtyMemory> => {
  const out: PageBitmap[] = []
  for (let c = 0; c < 3; c++) {
    const b = dm.clients[c as Client]
    if ((mask & CLIENT_BITS[c as Client]) === 0) {
      out.push(b)
      continue
    }
    const r = f(b)
    if (E.isLeft(r)) return E.left(fail(r.left))
    out.push(r.right)
  }
  return E.right({ ...dm, clients: [out[0], out[1], out[2]] as unknown as DirtyMemory['clients'] })
}

/**
 * `cpu_physical_memory_set_dirty_range(start, length, mask)`: marks every target page the
 * range touches dirty for the clients in `mask`.
 */
export const setDirtyRange =
  (start: RamAddr, length: Size, mask: number) =>
  (dm: DirtyMemory): E.Either<DirtyError, DirtyMemory> => {
    if (mask === 0 || length === 0n) return E.right(dm)
    const r = pagesOf(start, length)(dm)
    return mapClients(dm, mask, bitmap.setRange(r.start, r.end))
  }

/** Whether any page of the range is dirty for `client` (`cpu_physical_memory_get_dirty`). */
export const getDirty =
  (start: RamAddr, length: Size, client: Client) =>
  (dm: DirtyMemory): E.Either<DirtyError, boolean> => {
    const r = pagesOf(start, length)(dm)
    return pipe(dm.clients[client], bitmap.testAny(r.start, r.end), E.mapLeft(fail))
  }

/**
 * `cpu_physical_memory_test_and_clear_dirty(start, length, client)`: whether any page was
 * dirty, and the bitmaps with the range cleared for that client. (QEMU then clears the
 * same range in KVM through `memory_region_clear_dirty_bitmap`; the tracker does that.)
 */
export const testAndClear =
  (start: RamAddr, length: Size, client: Client) =>
  (
    dm: DirtyMemory,
  ): E.Either<DirtyError, { readonly memory: DirtyMemory; readonly wasDirty: boolean }> => {
    const r = pagesOf(start, length)(dm)
    return pipe(
      dm.clients[client],
      bitmap.testAny(r.start, r.end),
      E.chain((wasDirty) =>
        pipe(
          dm.clients[client],
          bitmap.clearRange(r.start, r.end),
          E.map((b) => {
            const clients = [...dm.clients] as PageBitmap[]
            clients[client] = b
            return {
              memory: { ...dm, clients: clients as unknown as DirtyMemory['clients'] },
              wasDirty,
            }
          }),
        ),
      ),
      E.mapLeft(fail),
    )
  }

/**
 * A dirty log to fold into the clients, in `bitmap.foldLeBitmap`'s convention (`words`,
 * `base`, `pages`: bit `i` of `words` is log page `i`, which lands on target page `base + i`
 * when host and target pages are the same size), and which clients it feeds.
 */
export interface LebitmapOptions extends LeFold {
  /**
   * Host page / target page (`hpratio`); each host-page bit dirties this many target pages:
   * bit `i` dirties target pages `base + i * hostPageRatio` on. `pages` counts host pages.
   */
  readonly hostPageRatio?: number
  /** Global dirty logging (migration) is on: MIGRATION is fed. */
  readonly globalDirtyLog?: boolean
  /** TCG: CODE is fed. */
  readonly tcg?: boolean
}

/**
 * `cpu_physical_memory_set_dirty_lebitmap(bitmap, start, pages)`: ORs a KVM dirty log into
 * the clients. The log is given as `bitmap.foldLeBitmap` takes one: `words` (bit i = host
 * page i of the slot), `base` — the target page of the slot's first byte, QEMU's
 * `start >> TARGET_PAGE_BITS` (`dirty.memory.pageOf(start)(dm)`) — and `pages`, the host
 * pages of the log (default: all its bits). VGA always; MIGRATION only while global logging
 * is on; CODE only under TCG. A host page larger than the target page dirties
 * `hostPageRatio` target pages per bit.
 *
 * @example
 * import { RamAddr } from 'ramaddr'
 * import * as dirty from 'ramaddr/dirty'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const dm = dirty.memory.init(1024)
 * assert.ok(either.isRight(dm))
 * // a 64-page slot at ram_addr_t 0x40000 reports its pages 0 and 2 dirty
 * const base = dirty.memory.pageOf(RamAddr.unsafe(0x40000n))(dm.right)
 * const log = { words: BigUint64Array.of(0b101n), base, pages: 64, globalDirtyLog: true }
 * const after = pipe(dm.right, dirty.memory.setDirtyLebitmap(log))
 * assert.ok(either.isRight(after))
 * assert.deepEqual(dirty.memory.dirtyPages(2)(after.right), [0x40, 0x42])
 */
export const setDirtyLebitmap =
  (log: LebitmapOptions) =>
  (dm: DirtyMemory): E.Either<DirtyError, DirtyMemory> => {
    const { words, base } = log
    const ratio = log.hostPageRatio ?? 1
    const mask =
      DIRTY_MEMORY_VGA |
      (log.globalDirtyLog === true ? DIRTY_MEMORY_MIGRATION : 0) |
      (log.tcg === true ? DIRTY_MEMORY_CODE : 0)
    const hostPages = log.pages ?? bitsOf(words)
    if (ratio === 1)
      return mapClients(dm, mask, bitmap.foldLeBitmap({ words, base, pages: hostPages }))
    // expand host pages to target pages, place them at `base`, and OR them in
    return pipe(
      bitmap.empty(hostPages),
      E.mapLeft(fail),
      E.chainW((b) =>
        pipe(
          bitmap.foldLeBitmap({ words, base: PageIndex.unsafe(0), pages: hostPages })(b),
          E.mapLeft(fail),
        ),
      ),
      E.chainW((b) => pipe(bitmap.hostToTarget(ratio)(b), E.mapLeft(fail))),
      E.chainW((target) =>
        pipe(bitmap.empty(dm.pages), E.chainW(bitmap.setSlice(base, target)), E.mapLeft(fail)),
      ),
      E.chain((placed) => mapClients(dm, mask, bitmap.union(placed))),
    )
  }

/** The dirty target pages of one client, ascending (for tests and small maps). */
export const dirtyPages =
  (client: Client) =>
  (dm: DirtyMemory): ReadonlyArray<PageIndex> =>
    bitmap.toPages(dm.clients[client])
