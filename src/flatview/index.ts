/**
 * Flat views: rendering, lookup, sharing.
 *
 * @module
 */
export * from './flat-range.js'
export * from './render.js'
export * from './flatview.js'
export * from './diff.js'
