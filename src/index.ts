/**
 * ramaddr: a model of QEMU/KVM/Xen guest memory keyed by `ram_addr_t`.
 *
 * @module
 */
export * from './addresses/kinds.js'
export * from './addresses/u64.js'
export type { AddrRange, InvalidRange } from './addresses/range.js'
export * as range from './addresses/range.js'
export type { PageSize, InvalidPageSize } from './addresses/page.js'
export * as page from './addresses/page.js'
export * as hex from './addresses/hex.js'
export * as codec from './addresses/codec.js'
export * as sizeText from './addresses/size-text.js'
export type { RAMBlock, RAMBlockFlags } from './ramblock/ramblock.js'
export type { RamListError } from './ramblock/errors.js'
export * as ramblock from './ramblock/index.js'
export type { RamList, RAMBlockSpec } from './ramblock/ram-list.js'
export * as ramList from './ramblock/ram-list.js'
export type { TextError } from './qemu/text-error.js'
export * as textError from './qemu/text-error.js'
export * as sizeToStr from './qemu/size-to-str.js'
export * as infoRamblock from './qemu/info-ramblock.js'
export * as machines from './machines/q35.js'
export * as cli from './cli/index.js'
export * as report from './addresses/report.js'
