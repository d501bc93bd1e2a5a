/**
 * `info ramblock` text of any dialect (QEMU 2.10 to 7.2, and 8.0 on with `HVA` and `RO`
 * columns): parse it into a RAM list, and print one back as QEMU's
 * `ram_block_format` does.
 *
 * @category QEMU dumps
 * @module
 */
export {
  parse,
  parseDump,
  format,
  type RamblockDialect,
  type RamblockDump,
  type FormatOptions,
} from './info-ramblock.js'
