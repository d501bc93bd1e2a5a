/**
 * The RAM list (QEMU `ram_list.blocks`): every RAMBlock, kept in QEMU's order —
 * descending `max_length`, ties in insertion order (`ram_block_add`) — with the offset
 * allocator, resize and removal as pure functions returning a new list.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { RamAddr, Size } from '../addresses/kinds.js'
import { PAGE_4K, alignUp, pageShift, type PageSize } from '../addresses/page.js'
import { TWO_64 } from '../addresses/u64.js'
import type { RamListError } from './errors.js'
import { allocator } from './allocator.js'
import { findRamOffset } from './find-ram-offset.js'
import { NO_FLAGS, regionNameOf, type RAMBlock, type RAMBlockFlags } from './ramblock.js'

/** The RAM list and the page sizes its arithmetic depends on. */
export interface RamList {
  /** Blocks in QEMU's list order (descending max length; ties in insertion order). */
  readonly blocks: ReadonlyArray<RAMBlock>
  /** `TARGET_PAGE_SIZE`: the dirty-bitmap page (4 KiB on x86). */
  readonly targetPageSize: PageSize
  /** The host page size, to which sizes are aligned (`HOST_PAGE_ALIGN`). */
  readonly hostPageSize: PageSize
}

/**
 * An empty RAM list, by default with x86's 4 KiB target and host pages.
 *
 * @example
 * import { ramblock } from 'ramaddr'
 * assert.equal(ramblock.empty().blocks.length, 0)
 */
export const empty = (
  targetPageSize: PageSize = PAGE_4K,
  hostPageSize: PageSize = PAGE_4K,
): RamList => ({ blocks: [], targetPageSize, hostPageSize })

/** What a new block needs: sizes are rounded up to the block's page size, as QEMU does. */
export interface RAMBlockSpec {
  /**
   * The block's name; `''` for a block no device has named yet (a memory backend's, until
   * a device registers it: see {@link setIdstr}).
   */
  readonly idstr: string
  readonly usedLength: bigint
  /** Defaults to `usedLength`; giving it makes the block resizeable unless `flags` says. */
  readonly maxLength?: bigint
  /** Defaults to the list's host page size; a hugetlbfs backing has 2 MiB or 1 GiB. */
  readonly pageSize?: PageSize
  readonly flags?: Partial<RAMBlockFlags>
  /** The region the block backs; defaults to the idstr's last path component. */
  readonly mr?: string
}

/** The bitmap-word alignment of block offsets: 64 target pages (256 KiB for 4 KiB pages). */
export const offsetAlignment = (list: RamList): bigint => 64n << pageShift(list.targetPageSize)

/** QEMU's idstr buffer is 256 bytes including the terminating NUL. */
const IDSTR_MAX = 255

/**
 * Adds a block as `ram_block_add` does: checks the spec, rounds its sizes up to its page
 * size, finds its offset with {@link findRamOffset} (sized by max length), and inserts it
 * before the first block with a strictly smaller max length.
 *
 * @example
 * import { ramblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(
 *   either.right(ramblock.empty()),
 *   either.chain(ramblock.add({ idstr: 'pc.ram', usedLength: 0x8000000n })),
 *   either.chain(ramblock.add({ idstr: 'pc.bios', usedLength: 0x40000n })),
 *   either.chain(ramblock.add({ idstr: 'pc.rom', usedLength: 0x20000n })),
 *   either.chain(ramblock.add({ idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x200000n })),
 * )
 * assert.ok(either.isRight(list))
 * assert.deepEqual(list.right.blocks.map((b) => [b.idstr, b.offset]), [
 *   ['pc.ram', 0x0n],
 *   ['/rom@etc/acpi/tables', 0x8080000n],
 *   ['pc.bios', 0x8000000n],
 *   ['pc.rom', 0x8040000n],
 * ])
 */
export const add =
  (spec: RAMBlockSpec) =>
  (list: RamList): E.Either<RamListError, RamList> =>
    addAll([spec])(list)

/** A spec checked and its sizes rounded, as `ram_block_add` does before it allocates. */
interface Checked {
  readonly used: bigint
  readonly max: bigint
  readonly pageSize: PageSize
}

const invalidIdstr = (idstr: string, min: number): RamListError => ({
  _tag: 'InvalidIdstr',
  idstr,
  message: `RAMBlock idstr ${JSON.stringify(idstr)} must be ${min} to ${IDSTR_MAX} characters with no NUL`,
})

const duplicateIdstr = (idstr: string): RamListError => ({
  _tag: 'DuplicateIdstr',
  idstr,
  message: `RAMBlock "${idstr}" already registered`,
})

/** The block named `idstr`; none for `''`, which names no block (it may be any unnamed one). */
const namedBlock = (list: RamList, idstr: string): RAMBlock | undefined =>
  idstr === '' ? undefined : list.blocks.find((b) => b.idstr === idstr)

const check = (
  spec: RAMBlockSpec,
  list: RamList,
  taken: (idstr: string) => boolean,
): E.Either<RamListError, Checked> => {
  const { idstr } = spec
  if (idstr.length > IDSTR_MAX || idstr.includes('\0')) return E.left(invalidIdstr(idstr, 0))
  if (idstr !== '' && taken(idstr)) return E.left(duplicateIdstr(idstr))
  const pageSize = spec.pageSize ?? list.hostPageSize
  const align = alignUp(pageSize)
  const used = align(spec.usedLength)
  const max = spec.maxLength === undefined ? used : align(spec.maxLength)
  if (spec.usedLength <= 0n || max <= 0n)
    return E.left({
      _tag: 'ZeroSize',
      idstr,
      message: `RAMBlock "${idstr}" has ${spec.usedLength <= 0n ? 'used' : 'max'} length 0`,
    })
  if (used > max)
    return E.left({
      _tag: 'UsedExceedsMax',
      idstr,
      usedLength: used,
      maxLength: max,
      message: `RAMBlock "${idstr}": used length 0x${used.toString(16)} > max length 0x${max.toString(16)}`,
    })
  return E.right({ used, max, pageSize })
}

const exhausted = (idstr: string, max: bigint): RamListError => ({
  _tag: 'RamAddrSpaceExhausted',
  idstr,
  size: max,
  message: `RAMBlock "${idstr}": no gap of 0x${max.toString(16)} bytes left in ram_addr_t space`,
})

const blockOf = (spec: RAMBlockSpec, c: Checked, offset: bigint): RAMBlock => ({
  idstr: spec.idstr,
  offset: offset as RamAddr,
  usedLength: c.used as Size,
  maxLength: c.max as Size,
  pageSize: c.pageSize,
  flags: {
    ...NO_FLAGS,
    resizeable: spec.maxLength !== undefined,
    ...spec.flags,
  },
  mr: spec.mr ?? regionNameOf(spec.idstr),
  host: O.none,
})

/** One add the plain way, for a list that is not in QEMU's order (a hand-made one). */
const addOne =
  (spec: RAMBlockSpec) =>
  (list: RamList): E.Either<RamListError, RamList> => {
    const checked = check(spec, list, (id) => namedBlock(list, id) !== undefined)
    if (E.isLeft(checked)) return checked
    const { max } = checked.right
    const offset = max > TWO_64 ? O.none : findRamOffset(offsetAlignment(list), max)(list.blocks)
    if (O.isNone(offset)) return E.left(exhausted(spec.idstr, max))
    const block = blockOf(spec, checked.right, offset.value)
    const at = list.blocks.findIndex((b) => b.maxLength < max)
    const blocks =
      at < 0
        ? [...list.blocks, block]
        : [...list.blocks.slice(0, at), block, ...list.blocks.slice(at)]
    return E.right({ ...list, blocks })
  }

/**
 * Adds blocks one after another as {@link add} does, stopping at the first error. On a
 * list in QEMU's order (max lengths non-increasing, as every list this library builds or
 * reads from QEMU is) it keeps the allocator's state between blocks, O(log n) per block,
 * and puts the new blocks in list order with one stable sort at the end: n blocks in
 * O(n log n), instead of a sort of every offset (or a shift of the list) per block.
 */
export const addAll =
  (specs: ReadonlyArray<RAMBlockSpec>) =>
  (list: RamList): E.Either<RamListError, RamList> => {
    const ordered = list.blocks.every(
      (b, i) => i === 0 || (list.blocks[i - 1] as RAMBlock).maxLength >= b.maxLength,
    )
    if (!ordered)
      return specs.reduce<E.Either<RamListError, RamList>>(
        (acc, s) => E.chain(addOne(s))(acc),
        E.right(list),
      )
    const alloc = allocator(list.blocks, offsetAlignment(list))
    const names = new Set(list.blocks.map((b) => b.idstr))
    const blocks = [...list.blocks]
    const before = blocks.length
    for (const spec of specs) {
      const checked = check(spec, list, (id) => names.has(id))
      if (E.isLeft(checked)) return checked
      const { max } = checked.right
      const offset = max > TWO_64 ? undefined : alloc.find(max)
      if (offset === undefined) return E.left(exhausted(spec.idstr, max))
      alloc.place(offset, max)
      if (spec.idstr !== '') names.add(spec.idstr)
      blocks.push(blockOf(spec, checked.right, offset))
    }
    // each new block goes before the first block with a smaller max length: a stable sort
    // by descending max length of the old blocks (already in that order) then the new ones
    // in the order they were added gives the same list
    if (blocks.length > before)
      blocks.sort((a, b) => (a.maxLength > b.maxLength ? -1 : a.maxLength < b.maxLength ? 1 : 0))
    return E.right({ ...list, blocks })
  }

const noSuchBlock = (idstr: string): RamListError => ({
  _tag: 'NoSuchBlock',
  idstr,
  message: `no RAMBlock named "${idstr}"`,
})

/** The block named `idstr` (QEMU `qemu_ram_block_by_name`). */
export const byName =
  (idstr: string) =>
  (list: RamList): O.Option<RAMBlock> =>
    O.fromNullable(namedBlock(list, idstr))

/**
 * Changes a block's used length as `qemu_ram_resize` does: the new size is rounded up to
 * the host page; an unchanged rounded size is a no-op; otherwise the block must be
 * resizeable ("Size mismatch") and the size at most its max length ("Size too large").
 * The offset never changes.
 *
 * @example
 * import { ramblock, Size } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(
 *   ramblock.empty(),
 *   ramblock.add({ idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x200000n }),
 *   either.chain(ramblock.resize('/rom@etc/acpi/tables', Size.unsafe(0x21234n))),
 * )
 * assert.ok(either.isRight(list))
 * assert.equal(list.right.blocks[0]?.usedLength, 0x22000n)
 */
export const resize =
  (idstr: string, newSize: Size) =>
  (list: RamList): E.Either<RamListError, RamList> => {
    const block = namedBlock(list, idstr)
    if (block === undefined) return E.left(noSuchBlock(idstr))
    const size = alignUp(list.hostPageSize)(newSize)
    if (size === block.usedLength) return E.right(list)
    if (!block.flags.resizeable)
      return E.left({
        _tag: 'ResizeOfFixedBlock',
        idstr,
        newSize: size,
        usedLength: block.usedLength,
        message: `Size mismatch: ${idstr}: 0x${size.toString(16)} != 0x${block.usedLength.toString(16)} (block is not resizeable)`,
      })
    if (size > block.maxLength || newSize < 0n)
      return E.left({
        _tag: 'SizeTooLarge',
        idstr,
        newSize: size,
        maxLength: block.maxLength,
        message: `Size too large: ${idstr}: 0x${size.toString(16)} > 0x${block.maxLength.toString(16)}`,
      })
    return E.right({
      ...list,
      blocks: list.blocks.map((b) => (b === block ? { ...b, usedLength: size as Size } : b)),
    })
  }

const noBlockAt = (offset: bigint): RamListError => ({
  _tag: 'NoBlockAt',
  offset,
  message: `no RAMBlock starts at ram_addr_t 0x${offset.toString(16)}`,
})

/**
 * Removes a block (`qemu_ram_free`): the one named `block`, or, given a `ram_addr_t`, the
 * one that starts there, named or not (how a memory backend's block goes when the backend
 * is deleted with `object-del` before any device named it). Its range becomes a gap that
 * later allocations may reuse: `find_ram_offset` takes the smallest gap that fits.
 *
 * @example
 * import { ramblock, RamAddr } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // QEMU 7.2, Q35: two backends added (object-add), the first deleted, a third added
 * const list = pipe(
 *   ramblock.empty(),
 *   ramblock.addAll([{ idstr: 'pc.ram', usedLength: 0x20000000n }, { idstr: '', usedLength: 0x10000000n }, { idstr: '', usedLength: 0x4000000n }]),
 *   either.chain(ramblock.remove(RamAddr.unsafe(0x20000000n))),
 *   either.chain(ramblock.add({ idstr: '', usedLength: 0x2000000n })),
 * )
 * assert.ok(either.isRight(list))
 * // the new block takes the smallest gap that fits: the deleted backend's
 * assert.deepEqual(ramblock.byOffset(list.right).map((b) => b.offset), [0x0n, 0x20000000n, 0x30000000n])
 */
export const remove =
  (block: string | RamAddr) =>
  (list: RamList): E.Either<RamListError, RamList> => {
    const gone =
      typeof block === 'string'
        ? namedBlock(list, block)
        : list.blocks.find((b) => b.offset === block)
    if (gone !== undefined)
      return E.right({ ...list, blocks: list.blocks.filter((b) => b !== gone) })
    return E.left(typeof block === 'string' ? noSuchBlock(block) : noBlockAt(block))
  }

/**
 * Names the block that starts at `offset`, as `qemu_ram_set_idstr` does when a device
 * registers a memory backend's RAM (`vmstate_register_ram`: `pc-dimm`, `nvdimm`,
 * `ivshmem`, `virtio-mem`). `idstr` is the whole name: `<device path>/<region>` when the
 * device has a path (`0000:00:04.0/shm0` for ivshmem), else the region's (`m3` for a
 * `pc-dimm` over backend `m3`). The block must have no name yet (QEMU asserts it) and the
 * name must be new (QEMU aborts: "RAMBlock ... already registered"). The block keeps its
 * offset and its place in the list; a block created without a region name takes the new
 * name's last component as its region's.
 *
 * @example
 * import { ramblock, RamAddr } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(
 *   ramblock.empty(),
 *   ramblock.addAll([{ idstr: 'pc.ram', usedLength: 0x20000000n }, { idstr: '', usedLength: 0x2000000n }]),
 *   either.chain(ramblock.setIdstr(RamAddr.unsafe(0x20000000n), 'm3')),
 * )
 * assert.ok(either.isRight(list))
 * assert.deepEqual(list.right.blocks.map((b) => [b.idstr, b.mr]), [['pc.ram', 'pc.ram'], ['m3', 'm3']])
 */
export const setIdstr =
  (offset: RamAddr, idstr: string) =>
  (list: RamList): E.Either<RamListError, RamList> => {
    const block = list.blocks.find((b) => b.offset === offset)
    if (block === undefined) return E.left(noBlockAt(offset))
    if (block.idstr !== '')
      return E.left({
        _tag: 'AlreadyNamed',
        idstr: block.idstr,
        message: `RAMBlock at ram_addr_t 0x${offset.toString(16)} is already named "${block.idstr}"`,
      })
    if (idstr === '' || idstr.length > IDSTR_MAX || idstr.includes('\0'))
      return E.left(invalidIdstr(idstr, 1))
    if (namedBlock(list, idstr) !== undefined) return E.left(duplicateIdstr(idstr))
    const named: RAMBlock = {
      ...block,
      idstr,
      mr: block.mr === '' ? regionNameOf(idstr) : block.mr,
    }
    return E.right({ ...list, blocks: list.blocks.map((b) => (b === block ? named : b)) })
  }

/**
 * One past the last target page any block reserves (QEMU 7.2 `last_ram_page`): the
 * dirty bitmaps must cover `[0, lastRamPage)`.
 */
export const lastRamPage = (list: RamList): bigint =>
  list.blocks.reduce((m, b) => {
    const end = (b.offset + b.maxLength) >> pageShift(list.targetPageSize)
    return end > m ? end : m
  }, 0n)

/** A `ram_addr_t` resolved to its block. */
export interface BlockOffset {
  readonly block: RAMBlock
  /** Offset of the address within the block. */
  readonly offset: bigint
}

/**
 * The block whose reserved range holds `addr` (`qemu_get_ram_block`: `addr - offset <
 * max_length`), with the offset within it.
 */
export const blockAt =
  (addr: RamAddr) =>
  (list: RamList): O.Option<BlockOffset> => {
    const block = list.blocks.find((b) => addr >= b.offset && addr - b.offset < b.maxLength)
    return block === undefined ? O.none : O.some({ block, offset: addr - block.offset })
  }

/** Blocks in ascending `ram_addr_t` order (not QEMU's list order). */
export const byOffset = (list: RamList): ReadonlyArray<RAMBlock> =>
  [...list.blocks].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))
