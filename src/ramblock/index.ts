/**
 * RAMBlocks: the block type, QEMU's offset allocator and the JSON table codec.
 *
 * @module
 */
export * from './ramblock.js'
export * from './find-ram-offset.js'
export * from './codec.js'
export type { RamListError } from './errors.js'
