/**
 * What can go wrong when editing the RAM list: each error names the block and says why,
 * mirroring the aborts and `-EINVAL`s of QEMU's softmmu/physmem.c.
 *
 * @module
 */

/** Every RAM-list error. */
export type RamListError =
  | { readonly _tag: 'DuplicateIdstr'; readonly idstr: string; readonly message: string }
  | { readonly _tag: 'InvalidIdstr'; readonly idstr: string; readonly message: string }
  | { readonly _tag: 'ZeroSize'; readonly idstr: string; readonly message: string }
  | {
      readonly _tag: 'UsedExceedsMax'
      readonly idstr: string
      readonly usedLength: bigint
      readonly maxLength: bigint
      readonly message: string
    }
  | {
      readonly _tag: 'ResizeOfFixedBlock'
      readonly idstr: string
      readonly newSize: bigint
      readonly usedLength: bigint
      readonly message: string
    }
  | {
      readonly _tag: 'SizeTooLarge'
      readonly idstr: string
      readonly newSize: bigint
      readonly maxLength: bigint
      readonly message: string
    }
  | {
      readonly _tag: 'RamAddrSpaceExhausted'
      readonly idstr: string
      readonly size: bigint
      readonly message: string
    }
  | { readonly _tag: 'NoSuchBlock'; readonly idstr: string; readonly message: string }
  | { readonly _tag: 'NoBlockAt'; readonly offset: bigint; readonly message: string }
  | { readonly _tag: 'AlreadyNamed'; readonly idstr: string; readonly message: string }
