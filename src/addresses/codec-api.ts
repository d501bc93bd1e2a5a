/**
 * Addresses as text: hexadecimal as QEMU's monitor prints and reads it, and io-ts codecs
 * from `0x…` strings to each kind, to ranges and to page sizes (for JSON input).
 *
 * @category Addresses
 * @module
 */
export { parseHex, toHex } from './hex.js'
export {
  GpaFromHex,
  RamAddrFromHex,
  HvaFromHex,
  GfnFromHex,
  MirrorGpaFromHex,
  PageIndexFromHex,
  SizeFromHex,
  rangeOf,
  PageSizeCodec,
  type AddrRangeJson,
} from './codec.js'
