/**
 * The pages KVM itself places in the guest-physical space of an x86 VM for real-mode
 * emulation without unrestricted guest: the EPT identity-map page table
 * (`KVM_SET_IDENTITY_MAP_ADDR`, one page) and the real-mode TSS (`KVM_SET_TSS_ADDR`,
 * three pages). Their content is constant, so migration need not send them.
 *
 * QEMU (target/i386/kvm/kvm.c `kvm_arch_init`) puts the identity map at 0xFEFFC000, the
 * TSS one page above it, and reserves the four pages in the e820 map. KVM backs them with
 * private memslots of its own (arch/x86/kvm/vmx/vmx.c `vmx_set_tss_addr`,
 * `init_rmode_identity_map`), so on QEMU's default layout they are not in any RAMBlock and
 * have no `ram_addr_t`: only a VMM that places them inside guest RAM has pages to skip.
 *
 * @module
 */
import type { Gpa, RamAddr } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import { ramRangesOfGpaRange } from '../translate/gpa-pieces.js'
import type { AddressMap } from '../translate/address-map.js'

/** QEMU's `KVM_SET_IDENTITY_MAP_ADDR` argument. */
export const QEMU_IDENTITY_MAP_ADDR = 0xfeffc000n as Gpa

/** Where KVM's constant pages are, and what backs them in the VMM's RAM. */
export interface ConstantPages {
  /** The identity-map page: one page. */
  readonly identityMap: AddrRange<Gpa>
  /** The real-mode TSS: three pages (`RMODE_TSS_SIZE` rounded up). */
  readonly tss: AddrRange<Gpa>
  /** The `ram_addr_t` ranges behind them where guest RAM is mapped there (often none). */
  readonly ram: ReadonlyArray<AddrRange<RamAddr>>
}

/**
 * KVM's constant pages for the given addresses (QEMU's defaults when omitted) and the
 * RAM behind them in `map`.
 *
 * @example
 * import { translate, mtree, infoRamblock, machines } from 'ramaddr'
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse(machines.Q35.mtree)
 * const l = infoRamblock.parse(machines.Q35.ramblock)
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * const c = confidential.constantPages.kvmConstantPages()(map.right)
 * assert.equal(c.tss.start, 0xfeffd000n)
 * // On QEMU's Q35 layout 0xFEFFC000 is in the PCI hole: KVM's private memslots back it.
 * assert.deepEqual(c.ram, [])
 */
export const kvmConstantPages =
  (addrs: { readonly identityMap?: Gpa; readonly tss?: Gpa } = {}) =>
  (map: AddressMap): ConstantPages => {
    const idm = addrs.identityMap ?? QEMU_IDENTITY_MAP_ADDR
    const tssStart = addrs.tss ?? ((idm + 0x1000n) as Gpa)
    const identityMap = { start: idm, end: idm + 0x1000n }
    const tss = { start: tssStart, end: tssStart + 0x3000n }
    return {
      identityMap,
      tss,
      ram: [...ramRangesOfGpaRange(identityMap)(map), ...ramRangesOfGpaRange(tss)(map)],
    }
  }
