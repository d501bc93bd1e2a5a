/**
 * Access rights of a p2m entry, as Xen defines them.
 *
 * Follows Xen's public `xenmem_access_t` (xen/include/public/memory.h), whose numbering
 * the hypervisor's `p2m_access_t` shares (xen/include/xen/mem_access.h): the names and
 * their order here are Xen's, so {@link code} is the number Xen uses on the wire. Values
 * 0 to 7 are an r=1, w=2, x=4 bit mask; `rx2rw` (8) starts as r-x and becomes rw on the
 * first write; `n2rwx` (9) starts as no access and becomes rwx on the first access,
 * raising a non-pausing event; `r_pw` (10) is read-only but lets CPU page walks set A/D
 * bits. Xen's `XENMEM_access_default` (11) is not a right but a request for the p2m's
 * `default_access`; it appears here only as {@link XENMEM_ACCESS_DEFAULT}.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'

/** The access names, in `xenmem_access_t` order (index = Xen's number). */
export const ACCESS_NAMES = [
  'n',
  'r',
  'w',
  'rw',
  'x',
  'rx',
  'wx',
  'rwx',
  'rx2rw',
  'n2rwx',
  'r_pw',
] as const

/** A p2m access right (Xen `p2m_access_t` / `xenmem_access_t` minus `default`). */
export type Access = (typeof ACCESS_NAMES)[number]

/** Xen's `XENMEM_access_default`: "take the p2m's default access", not a right itself. */
export const XENMEM_ACCESS_DEFAULT = 11

/**
 * Xen's number for an access right.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * assert.equal(xen.access.code('n'), 0)
 * assert.equal(xen.access.code('rwx'), 7)
 * assert.equal(xen.access.code('rx2rw'), 8)
 * assert.equal(xen.access.code('n2rwx'), 9)
 */
export const code = (a: Access): number => ACCESS_NAMES.indexOf(a)

/**
 * The access right with Xen's number `n`, if there is one (0 to 10).
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as option from 'fp-ts/lib/Option.js'
 * assert.deepEqual(xen.access.fromCode(5), option.some('rx'))
 * assert.deepEqual(xen.access.fromCode(11), option.none) // XENMEM_access_default
 */
export const fromCode = (n: number): O.Option<Access> => {
  const a = ACCESS_NAMES[n]
  return a === undefined ? O.none : O.some(a)
}

/** Whether `s` names an access right. */
export const isAccess = (s: unknown): s is Access =>
  typeof s === 'string' && (ACCESS_NAMES as ReadonlyArray<string>).includes(s)

/** What a guest access is. */
export type AccessKind = 'read' | 'write' | 'exec'

/**
 * Whether `a` lets `kind` through without a violation, before Xen's automatic
 * conversions (`rx2rw` and `n2rwx` fault first and are then converted by
 * `p2m_mem_access_check`, xen/arch/x86/mm/mem_access.c). `r_pw` allows reads only (its
 * page-walk writes are not guest writes).
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * assert.equal(xen.access.allows('write')('rw'), true)
 * assert.equal(xen.access.allows('write')('rx'), false)
 * assert.equal(xen.access.allows('write')('rx2rw'), false)
 * assert.equal(xen.access.allows('exec')('rx2rw'), true)
 */
export const allows =
  (kind: AccessKind) =>
  (a: Access): boolean => {
    const n = code(a)
    const bit = kind === 'read' ? 1 : kind === 'write' ? 2 : 4
    if (n <= 7) return (n & bit) !== 0
    if (a === 'rx2rw') return kind !== 'write'
    if (a === 'r_pw') return kind === 'read'
    return false // n2rwx
  }
