/**
 * Errors of region-tree edits: each says which region and why, like the assertions in
 * QEMU's softmmu/memory.c that these edits would trip.
 *
 * @module
 */
import type { RegionId } from './region.js'

/** Every topology error. */
export type TopologyError =
  | { readonly _tag: 'NoSuchRegion'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'AlreadyMapped'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'NotMapped'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'NotAnAlias'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'AliasHasSubregions'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'Cycle'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'InvalidRegion'; readonly id: RegionId; readonly message: string }
  | { readonly _tag: 'NoSuchName'; readonly name: string; readonly message: string }
  | { readonly _tag: 'AmbiguousName'; readonly name: string; readonly message: string }
