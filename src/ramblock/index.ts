/**
 * RAMBlocks and QEMU's RAM list (`ram_list`): the block type, the list as a persistent
 * value edited as QEMU's `qemu_ram_alloc*`, `qemu_ram_resize`, `qemu_ram_free` and
 * `qemu_ram_set_idstr` do, the offset allocator (`find_ram_offset`), and the JSON row codec.
 *
 * @category RAMBlocks
 * @module
 */
export { NO_FLAGS, reserved, used, type RAMBlock, type RAMBlockFlags } from './ramblock.js'
export {
  empty,
  add,
  addAll,
  byName,
  resize,
  remove,
  setIdstr,
  lastRamPage,
  blockAt,
  byOffset,
  type RamList,
  type RAMBlockSpec,
  type BlockOffset,
} from './ram-list.js'
export { findRamOffset } from './find-ram-offset.js'
export { RAMBlockRow, toJson } from './codec.js'
export type { RamListError } from './errors.js'
