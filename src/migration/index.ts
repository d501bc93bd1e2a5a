/**
 * Precopy migration: the per-RAMBlock migration bitmap and the convergence estimate.
 *
 * @module
 */
export * as bitmap from './migration-bitmap.js'
export * as convergence from './convergence.js'
export * as precopy from './precopy.js'
