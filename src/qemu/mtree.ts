/**
 * `info mtree` / `info mtree -D` text: parse and print.
 *
 * @module
 */
export { parse, type ParseOptions } from './mtree-parse.js'
export { print, printOrder, regionType, type PrintOptions } from './mtree-print.js'
