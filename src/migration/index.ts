/**
 * Precopy migration: the per-RAMBlock migration bitmap and the convergence estimate; and
 * real migration streams, decoded by `ram_addr_t` (`stream`).
 *
 * @module
 */
export * as bitmap from './migration-bitmap.js'
export * as convergence from './convergence.js'
export * as precopy from './precopy.js'
export * as stream from './stream/index.js'
