/**
 * The fill and stroke colours `draw` gives RAMBlocks, in order (a block's colour is
 * its index in the layout modulo the palette's length). Shared by the SVG renderer and
 * the explorer page, so a block has the same colour in both.
 *
 * @module
 */

/** Pairs of [fill, stroke], light fills with a darker edge of the same hue. */
export const PALETTE: ReadonlyArray<readonly [string, string]> = [
  ['#cfe3ff', '#2f6db5'],
  ['#d5f0d0', '#3b8a32'],
  ['#ffe0c2', '#c0661b'],
  ['#ead9ff', '#7446b5'],
  ['#ffd6e0', '#b83a5b'],
  ['#d2f1f0', '#2a8682'],
  ['#f6efc2', '#9b8412'],
  ['#e3e3e3', '#5b5b5b'],
  ['#ffd9d2', '#b5442f'],
  ['#dbe7c8', '#5e7d2c'],
]
