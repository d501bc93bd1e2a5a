/**
 * Errors of building a translator: RAMBlocks that cannot be tied to regions, or an
 * address space that does not exist.
 *
 * @module
 */

/** Every translation-setup error. */
export type TranslateError =
  | { readonly _tag: 'NoSuchAddressSpace'; readonly name: string; readonly message: string }
  | { readonly _tag: 'AmbiguousRamBlock'; readonly region: string; readonly message: string }
  | { readonly _tag: 'MissingRamBlock'; readonly region: string; readonly message: string }
