/**
 * Private/shared state of guest_memfd-backed RAM, keyed by `ram_addr_t` page so that it
 * survives BAR moves, and the conversions that change it.
 *
 * Follows QEMU 10.x: a RAMBlock created with `RAM_GUEST_MEMFD` gets a guest_memfd and a
 * `RamBlockAttributes` bitmap (system/ram-block-attributes.c) that starts all private,
 * matching the `KVM_MEMORY_ATTRIBUTE_PRIVATE` QEMU sets when it creates the slot.
 * `kvm_convert_memory` (accel/kvm/kvm-all.c) turns a guest request into
 * `KVM_SET_MEMORY_ATTRIBUTES` over a host-page-aligned GPA range and flips the block's
 * bits. A private page has no host mapping: QEMU's copy of it is the guest_memfd, which
 * user space cannot map, so an HVA translation answers "private".
 *
 * Here the state is one page bitmap over all of `ram_addr_t` space in 4 KiB pages, a set
 * bit meaning private (QEMU's own bitmap uses 1 = shared; the meaning is the same).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { RamAddr, type Gpa, type Hva } from '../addresses/kinds.js'
import { toHex } from '../addresses/hex.js'
import { PAGE_4K, indexOf } from '../addresses/page.js'
import * as bitmap from '../bitmap/index.js'
import type { PageBitmap } from '../bitmap/index.js'
import type { RamList } from '../ramblock/ram-list.js'
import { lastRamPage } from '../ramblock/ram-list.js'
import { translationOfGpa, type AddressMap, type Translation } from '../translate/address-map.js'

/** The page of the attribute bitmap holding a `ram_addr_t` (4 KiB pages). */
const pageOf = indexOf(PAGE_4K)

/** The private pages of a VM, by `ram_addr_t` page. */
export interface MemoryAttributes {
  /** Bit `ram_addr_t >> 12` set: the page is private. */
  readonly privatePages: PageBitmap
  /** The RAMBlocks that have a guest_memfd (`RAM_GUEST_MEMFD`), by idstr. */
  readonly guestMemfdBlocks: ReadonlySet<string>
}

/** A guest's request to convert a GPA range (`KVM_HC_MAP_GPA_RANGE`, a memory-fault exit). */
export interface Conversion {
  readonly gpa: Gpa
  readonly size: bigint
  readonly toPrivate: boolean
}

/** Why a conversion was refused (QEMU's `kvm_convert_memory` returns an error). */
export interface ConversionError {
  readonly _tag: 'ConversionError'
  readonly gpa: Gpa
  readonly size: bigint
  readonly reason: 'unaligned' | 'empty' | 'unassigned' | 'not-guest-memfd' | 'spans-regions'
  readonly message: string
}

/**
 * The state at VM creation: every page of every guest_memfd block (those with the
 * `guestMemfd` flag) private, up to the block's used length; everything else shared.
 */
export const initial = (ramList: RamList): E.Either<string, MemoryAttributes> => {
  const pages = Number(lastRamPage(ramList))
  const base = bitmap.empty(pages)
  if (E.isLeft(base)) return E.left(base.left.message)
  const blocks = ramList.blocks.filter((b) => b.flags.guestMemfd)
  let bm = base.right
  for (const b of blocks) {
    const r = bitmap.setRange(pageOf(b.offset), pageOf(RamAddr.unsafe(b.offset + b.usedLength)))(bm)
    if (E.isLeft(r)) return E.left(r.left.message)
    bm = r.right
  }
  return E.right({ privatePages: bm, guestMemfdBlocks: new Set(blocks.map((b) => b.idstr)) })
}

const refuse = (
  c: Conversion,
  reason: ConversionError['reason'],
  why: string,
): E.Either<ConversionError, never> =>
  E.left({
    _tag: 'ConversionError',
    gpa: c.gpa,
    size: c.size,
    reason,
    message: `convert ${toHex(c.gpa)}+${toHex(c.size)} to ${c.toPrivate ? 'private' : 'shared'}: ${why}`,
  })

/**
 * Applies one conversion as `kvm_convert_memory` does: the range must be nonzero and
 * host-page aligned; over unassigned space a conversion to shared is accepted and changes
 * nothing while one to private fails; a region without guest_memfd accepts a conversion
 * to shared of MMIO and refuses the rest; otherwise every page of the range flips. The
 * range must stay inside one RAM-backed flat range (QEMU looks up one section and
 * validates the size against that block).
 *
 * @example
 * import { ramblock, translate, mtree, Gpa } from 'ramaddr'
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse('address-space: memory\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n\n')
 * const l = ramblock.add({ idstr: 'pc.ram', usedLength: 0x8000000n, flags: { guestMemfd: true } })(ramblock.empty())
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * const a0 = confidential.memoryAttributes.initial(l.right)
 * assert.ok(either.isRight(map) && either.isRight(a0))
 * // The guest shares one page: it gets a host mapping, its neighbours stay private.
 * const a1 = confidential.memoryAttributes.convert({ gpa: Gpa.unsafe(0x10000n), size: 0x1000n, toPrivate: false })(map.right)(a0.right)
 * assert.ok(either.isRight(a1))
 * const at = (gpa) => confidential.memoryAttributes.hostAccess(a1.right)(translate.translationOfGpa(Gpa.unsafe(gpa))(map.right))._tag
 * assert.equal(at(0x10000n), 'Shared')
 * assert.equal(at(0x11000n), 'Private')
 */
export const convert =
  (c: Conversion, hostPageSize = 0x1000n) =>
  (map: AddressMap) =>
  (attrs: MemoryAttributes): E.Either<ConversionError, MemoryAttributes> => {
    if (c.size === 0n) return refuse(c, 'empty', 'the size is 0')
    if (c.gpa % hostPageSize !== 0n || c.size % hostPageSize !== 0n)
      return refuse(c, 'unaligned', `not aligned to the ${toHex(hostPageSize)}-byte host page`)
    const first = translationOfGpa(c.gpa)(map)
    if (first._tag === 'Unassigned')
      return c.toPrivate ? refuse(c, 'unassigned', 'nothing is mapped there') : E.right(attrs)
    if (first._tag === 'Mmio')
      return c.toPrivate
        ? refuse(c, 'not-guest-memfd', `${first.region.name} is not RAM with a guest_memfd`)
        : E.right(attrs)
    if (!attrs.guestMemfdBlocks.has(first.block.idstr))
      return refuse(c, 'not-guest-memfd', `RAMBlock ${first.block.idstr} has no guest_memfd`)
    const lastGpa = (c.gpa + c.size - 1n) as Gpa
    const last = translationOfGpa(lastGpa)(map)
    if (
      last._tag !== 'Ram' ||
      last.block.idstr !== first.block.idstr ||
      last.ramAddr - first.ramAddr !== c.size - 1n
    )
      return refuse(
        c,
        'spans-regions',
        `the range leaves ${first.region.name} (RAMBlock ${first.block.idstr}) before its end`,
      )
    const from = pageOf(first.ramAddr)
    const to = pageOf(RamAddr.unsafe(first.ramAddr + c.size))
    const r = (c.toPrivate ? bitmap.setRange(from, to) : bitmap.clearRange(from, to))(
      attrs.privatePages,
    )
    return E.isLeft(r)
      ? refuse(c, 'spans-regions', r.left.message)
      : E.right({ ...attrs, privatePages: r.right })
  }

/** Applies conversions in order, stopping at the first refused one. */
export const convertAll =
  (cs: ReadonlyArray<Conversion>, hostPageSize = 0x1000n) =>
  (map: AddressMap) =>
  (attrs: MemoryAttributes): E.Either<ConversionError, MemoryAttributes> => {
    let cur = attrs
    for (const c of cs) {
      const r = convert(c, hostPageSize)(map)(cur)
      if (E.isLeft(r)) return r
      cur = r.right
    }
    return E.right(cur)
  }

/** Whether the page holding a `ram_addr_t` is private. */
export const isPrivate =
  (ramAddr: RamAddr) =>
  (attrs: MemoryAttributes): boolean => {
    const p = pageOf(ramAddr)
    if (p >= attrs.privatePages.pages) return false
    return E.getOrElse(() => false)(bitmap.test(p)(attrs.privatePages))
  }

/** What the VMM can do with a GPA's backing. */
export type HostAccess =
  | { readonly _tag: 'Private'; readonly ramAddr: RamAddr }
  | { readonly _tag: 'Shared'; readonly ramAddr: RamAddr; readonly hva: O.Option<Hva> }
  | { readonly _tag: 'NotRam' }

/**
 * The host side of a translation: a private page has no host address (its memory is in
 * the guest_memfd), a shared one has the block's HVA when known.
 */
export const hostAccess =
  (attrs: MemoryAttributes) =>
  (t: Translation): HostAccess => {
    if (t._tag !== 'Ram') return { _tag: 'NotRam' }
    return isPrivate(t.ramAddr)(attrs)
      ? { _tag: 'Private', ramAddr: t.ramAddr }
      : { _tag: 'Shared', ramAddr: t.ramAddr, hva: t.hva }
  }
