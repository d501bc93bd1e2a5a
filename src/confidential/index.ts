/**
 * Confidential guests: SEV/SEV-ES/SEV-SNP platform parameters, guest_memfd private/shared
 * attributes, RamDiscardManager state, KVM's constant pages, and how migration treats each
 * page.
 *
 * @module
 */
export * as platform from './platform.js'
export * as memoryAttributes from './memory-attributes.js'
export * as discard from './discard.js'
export * as constantPages from './constant-pages.js'
export * as classify from './classify.js'
