/**
 * p2m entry types, as Xen's x86 p2m defines them.
 *
 * Follows `p2m_type_t` in xen/arch/x86/include/asm/p2m.h: names (without the `p2m_`
 * prefix) and numbers are Xen's. What a guest write does to a page of each type is this
 * model's summary of Xen's handling ({@link writeClass}).
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'

/** The type names, in `p2m_type_t` order (index = Xen's number). */
export const P2M_TYPE_NAMES = [
  'ram_rw',
  'invalid',
  'ram_logdirty',
  'ram_ro',
  'mmio_dm',
  'mmio_direct',
  'populate_on_demand',
  'grant_map_rw',
  'grant_map_ro',
  'ram_paging_out',
  'ram_paged',
  'ram_paging_in',
  'ram_shared',
  'ram_broken',
  'map_foreign',
  'ioreq_server',
] as const

/** A p2m entry type (Xen `p2m_type_t`). */
export type P2mType = (typeof P2M_TYPE_NAMES)[number]

/**
 * Xen's number for a type.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * assert.equal(xen.p2mType.code('ram_rw'), 0)
 * assert.equal(xen.p2mType.code('ram_ro'), 3)
 * assert.equal(xen.p2mType.code('mmio_direct'), 5)
 */
export const code = (t: P2mType): number => P2M_TYPE_NAMES.indexOf(t)

/** The type with Xen's number `n`, if there is one (0 to 15). */
export const fromCode = (n: number): O.Option<P2mType> => {
  const t = P2M_TYPE_NAMES[n]
  return t === undefined ? O.none : O.some(t)
}

/**
 * Whether a type maps guest RAM the domain owns: Xen's `P2M_RAM_TYPES` mask
 * (xen/arch/x86/include/asm/p2m.h), the pages a migration sends.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * assert.equal(xen.p2mType.isRam('ram_ro'), true)
 * assert.equal(xen.p2mType.isRam('mmio_dm'), false)
 */
export const isRam = (t: P2mType): boolean =>
  t === 'ram_rw' ||
  t === 'ram_logdirty' ||
  t === 'ram_ro' ||
  t === 'ram_paging_out' ||
  t === 'ram_paged' ||
  t === 'ram_paging_in' ||
  t === 'ram_shared' ||
  t === 'ioreq_server'

/** Whether `s` names a p2m type. */
export const isP2mType = (s: unknown): s is P2mType =>
  typeof s === 'string' && (P2M_TYPE_NAMES as ReadonlyArray<string>).includes(s)

/**
 * What a permitted guest write to a page of a type does:
 * - `ram`: lands in the backing frame, which log-dirty marks (`ram_rw`, and `ram_logdirty`,
 *   the type Xen gives RAM while it is write-protected for log-dirty);
 * - `dropped`: silently discarded (`ram_ro`: "writes are silently dropped"; `grant_map_ro`);
 * - `emulated`: handed to the device model or an ioreq server (`mmio_dm`, `ioreq_server`);
 * - `device`: reaches a real device's MMIO (`mmio_direct`): not RAM, not dirty-tracked;
 * - `unmodelled`: types whose handling (paging, sharing, PoD, grants and foreign maps
 *   needing their owner, broken pages, holes) is outside this model.
 */
export type WriteClass = 'ram' | 'dropped' | 'emulated' | 'device' | 'unmodelled'

/**
 * The {@link WriteClass} of a type.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * assert.equal(xen.p2mType.writeClass('ram_rw'), 'ram')
 * assert.equal(xen.p2mType.writeClass('ram_ro'), 'dropped')
 * assert.equal(xen.p2mType.writeClass('mmio_dm'), 'emulated')
 */
export const writeClass = (t: P2mType): WriteClass => {
  switch (t) {
    case 'ram_rw':
    case 'ram_logdirty':
      return 'ram'
    case 'ram_ro':
    case 'grant_map_ro':
      return 'dropped'
    case 'mmio_dm':
    case 'ioreq_server':
      return 'emulated'
    case 'mmio_direct':
      return 'device'
    default:
      return 'unmodelled'
  }
}
