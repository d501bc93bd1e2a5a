/**
 * GPA <-> `ram_addr_t` translation.
 *
 * @module
 */
export * from './address-map.js'
export * from './ram-link.js'
export * from './reverse-index.js'
export type { TranslateError } from './errors.js'
export * from './gpa-pieces.js'
