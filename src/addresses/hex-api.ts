/**
 * Hexadecimal text of 64-bit values, as QEMU's monitor prints and reads it.
 *
 * @category Addresses
 * @module
 */
export { parseHex, toHex } from './hex.js'
