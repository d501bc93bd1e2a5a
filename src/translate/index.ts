/**
 * GPA <-> `ram_addr_t` translation over one address space's flat view, as QEMU's
 * `address_space_translate` and `qemu_ram_addr_from_host` would answer it. Directions are
 * named `<result>Of<input>`: `ramAddrOfGpa`, `gpasOfRamAddr`, `ramRangesOfGpaRange`.
 *
 * @category Translation
 * @module
 */
export {
  make,
  translationOfGpa,
  ramAddrOfGpa,
  ramAddrLookup,
  ramAddrsOfGpas,
  gpasOfRamAddr,
  gpaRangesOfRamRange,
  type AddressMap,
  type AddressMapInput,
  type Translation,
  type BatchTranslation,
  type RangeTarget,
} from './address-map.js'
export { piecesOfGpaRange, ramRangesOfGpaRange } from './gpa-pieces.js'
export { attachRamBlocks } from './ram-link.js'
export type { ReverseIndex, RamWindow } from './reverse-index.js'
export type { TranslateError } from './errors.js'
