/**
 * `info mtree -f` text of any dialect: parse it into blocks of flat-view lines, and print a
 * topology's flat views as QEMU's `mtree_print_flatview` does.
 *
 * @category QEMU dumps
 * @module
 */
export {
  parse,
  print,
  type Accel,
  type FlatPrintOptions,
  type FlatRangeLine,
  type FlatViewBlock,
} from './mtree-flat.js'
