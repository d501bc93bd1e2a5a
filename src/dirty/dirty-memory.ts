/**
 * QEMU's dirty memory (`ram_list.dirty_memory[DIRTY_MEMORY_NUM]`, include/exec/ram_addr.h):
 * one bitmap per client — VGA, CODE, MIGRATION — over every target page of `ram_addr_t`
 * space, keyed by `ram_addr_t >> TARGET_PAGE_BITS` so that it survives BAR moves and slot
 * changes. Grow-only, as `dirty_memory_extend` is.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../addresses/kinds.js'
import * as bitmap from '../bitmap/index.js'
import type { PageBitmap } from '../bitmap/index.js'
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
}

const fail = (e: { readonly message: string }): DirtyError => ({
  _tag: 'DirtyError',
  message: e.message,
})

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
 * import { dirty } from 'ramaddr'
 * import { either } from 'fp-ts'
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

/** The target pages `[first, end)` touched by `[start, start + length)` of `ram_addr_t`. */
export const pagesOf = (
  dm: DirtyMemory,
  start: bigint,
  length: bigint,
): readonly [PageIndex, PageIndex] => {
  const shift = BigInt(dm.targetPageBits)
  const page = (1n << shift) - 1n
  return [
    PageIndex.unsafe(Number(start >> shift)),
    PageIndex.unsafe(Number((start + length + page) >> shift)),
  ]
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
  (start: bigint, length: bigint, mask: number) =>
  (dm: DirtyMemory): E.Either<DirtyError, DirtyMemory> => {
    if (mask === 0 || length === 0n) return E.right(dm)
    const [first, end] = pagesOf(dm, start, length)
    return mapClients(dm, mask, bitmap.setRange(first, end))
  }

/** Whether any page of the range is dirty for `client` (`cpu_physical_memory_get_dirty`). */
export const getDirty =
  (start: bigint, length: bigint, client: Client) =>
  (dm: DirtyMemory): E.Either<DirtyError, boolean> => {
    const [first, end] = pagesOf(dm, start, length)
    return pipe(dm.clients[client], bitmap.testAny(first, end), E.mapLeft(fail))
  }

/**
 * `cpu_physical_memory_test_and_clear_dirty(start, length, client)`: whether any page was
 * dirty, and the bitmaps with the range cleared for that client. (QEMU then clears the
 * same range in KVM through `memory_region_clear_dirty_bitmap`; the tracker does that.)
 */
export const testAndClear =
  (start: bigint, length: bigint, client: Client) =>
  (
    dm: DirtyMemory,
  ): E.Either<DirtyError, { readonly memory: DirtyMemory; readonly wasDirty: boolean }> => {
    const [first, end] = pagesOf(dm, start, length)
    return pipe(
      dm.clients[client],
      bitmap.testAny(first, end),
      E.chain((wasDirty) =>
        pipe(
          dm.clients[client],
          bitmap.clearRange(first, end),
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

/** Which clients an imported accelerator bitmap feeds. */
export interface LebitmapOptions {
  /** Host page / target page (`hpratio`); each host-page bit dirties this many target pages. */
  readonly hostPageRatio?: number
  /** Global dirty logging (migration) is on: MIGRATION is fed. */
  readonly globalDirtyLog?: boolean
  /** TCG: CODE is fed. */
  readonly tcg?: boolean
}

/**
 * `cpu_physical_memory_set_dirty_lebitmap(words, start, pages)`: ORs a KVM dirty log
 * (little-endian words, bit i = host page i of the slot) into the clients, starting at
 * `ram_addr_t` `start`. VGA always; MIGRATION only while global logging is on; CODE only
 * under TCG. A host page larger than the target page dirties `hostPageRatio` target
 * pages per bit.
 *
 * @example
 * import { dirty } from 'ramaddr'
 * import { either } from 'fp-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const dm = pipe(
 *   dirty.memory.init(1024),
 *   either.chain(dirty.memory.setDirtyLebitmap(BigUint64Array.of(0b101n), 0x40000n, 64, { globalDirtyLog: true })),
 * )
 * assert.ok(either.isRight(dm))
 * assert.deepEqual(dirty.memory.dirtyPages(2)(dm.right), [0x40, 0x42])
 */
export const setDirtyLebitmap =
  (words: BigUint64Array, start: bigint, hostPages: number, options: LebitmapOptions = {}) =>
  (dm: DirtyMemory): E.Either<DirtyError, DirtyMemory> => {
    const ratio = options.hostPageRatio ?? 1
    const mask =
      DIRTY_MEMORY_VGA |
      (options.globalDirtyLog === true ? DIRTY_MEMORY_MIGRATION : 0) |
      (options.tcg === true ? DIRTY_MEMORY_CODE : 0)
    const base = PageIndex.unsafe(Number(start >> BigInt(dm.targetPageBits)))
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
