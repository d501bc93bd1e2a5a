/**
 * `info mtree` / `info mtree -D` text of any dialect: parse and print.
 *
 * @module
 */
export {
  parse,
  parseDump,
  TYPE_DIALECT,
  type Assumption,
  type MtreeDialect,
  type MtreeDump,
  type ParseOptions,
} from './mtree-parse.js'
export { accessText, print, printOrder, regionType, type PrintOptions } from './mtree-print.js'
