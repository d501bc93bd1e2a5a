/**
 * ramaddr: a model of QEMU/KVM/Xen guest memory keyed by `ram_addr_t`.
 *
 * The root entry is the pure core: address kinds, RAMBlocks, memory-region trees and their
 * flat views, translation between guest-physical addresses and `ram_addr_t`, page bitmaps,
 * and QEMU's own dump formats. It imports no `node:` module and runs in a browser. The
 * rest lives behind subpaths: `ramaddr/kvm`, `ramaddr/dirty`, `ramaddr/migration`,
 * `ramaddr/mirror`, `ramaddr/confidential`, `ramaddr/xen`, `ramaddr/draw`,
 * `ramaddr/arbitraries` (pure), and `ramaddr/node`, `ramaddr/cli` (Node only).
 *
 * Naming (docs/naming.md): kinds are values and types of one name at the root
 * (`Gpa.make`); everything else is in a namespace named for the data it acts on, types
 * included (`topology.Topology`, `translate.AddressMap`); functions take their data last.
 *
 * @module
 */
export {
  Gpa,
  RamAddr,
  Hva,
  Gfn,
  MirrorGpa,
  PageIndex,
  Size,
  SIZE_2_64,
  type Kinded,
  type KindOps,
  type AddressKindName,
  type OutOfRange,
} from './addresses/kinds.js'
/** @category Addresses */
export * as range from './addresses/range.js'
/** @category Addresses */
export * as page from './addresses/page.js'
/** @category Addresses */
export * as codec from './addresses/codec-api.js'
/** @category Errors */
export * as errors from './addresses/errors.js'
/** @category RAMBlocks */
export * as ramblock from './ramblock/index.js'
/** @category Memory regions */
export * as topology from './region/index.js'
/** @category Flat views */
export * as flatview from './flatview/index.js'
/** @category Translation */
export * as translate from './translate/index.js'
/** @category Page bitmaps */
export * as bitmap from './bitmap/index.js'
/** @category QEMU dumps */
export * as mtree from './qemu/mtree.js'
/** @category QEMU dumps */
export * as infoRamblock from './qemu/info-ramblock-api.js'
/** @category QEMU dumps */
export * as machines from './machines/index.js'
