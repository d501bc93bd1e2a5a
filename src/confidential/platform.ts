/**
 * The confidential-computing parameters of a guest that decide its usable physical
 * address width: AMD SEV, SEV-ES or SEV-SNP, the C-bit position, the physical-address
 * reduction, the host MAXPHYADDR and, for SNP guests that use it, vTOM.
 *
 * - `cbitpos` and `reducedPhysBits` are CPUID 0x8000001F EBX[5:0] and EBX[11:6]; QEMU's
 *   `sev-guest`/`sev-snp-guest` objects take them as `cbitpos` and `reduced-phys-bits`
 *   and refuse a reduction outside 1..63 (target/i386/sev.c `sev_common_kvm_init`; 7.2
 *   only checks `>= 1`) and a C-bit that differs from the host's.
 * - The usable guest physical width is `maxPhysAddr - reducedPhysBits`, as the mirror-VM
 *   thread uses it ("2^(MAXPHYADDR - physical address reduction - 1)" is the top half of
 *   that space). The C-bit must lie at or above it: a C-bit inside the usable width would
 *   make half of the guest's addresses unreachable.
 * - vTOM (SNP `SEV_FEATURES` bit 3): GPAs below vTOM are private, at or above it shared;
 *   the C-bit is not used.
 *
 * @module
 */
import * as t from 'io-ts/lib/index.js'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { GpaFromHex } from '../addresses/codec.js'
import type { Gpa } from '../addresses/kinds.js'

/** Which AMD memory-encryption flavour the guest runs. */
export type SevKind = 'sev' | 'sev-es' | 'sev-snp'

/** A guest's encryption parameters (validated by {@link make}). */
export interface Platform {
  readonly kind: SevKind
  /** The C-bit: the page-table bit that marks a page private (CPUID 0x8000001F EBX[5:0]). */
  readonly cbitpos: number
  /** Physical-address bits lost while encryption is on (CPUID 0x8000001F EBX[11:6]). */
  readonly reducedPhysBits: number
  /** The host's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]), 32 to 52 on x86-64. */
  readonly maxPhysAddr: number
  /** SEV-SNP virtual top of memory, when the guest uses it. */
  readonly vtom?: Gpa
}

/** An impossible combination of parameters. */
export interface InvalidPlatform {
  readonly _tag: 'InvalidPlatform'
  /** The parameter at fault. */
  readonly field: 'kind' | 'cbitpos' | 'reducedPhysBits' | 'maxPhysAddr' | 'vtom'
  readonly message: string
}

const bad = (field: InvalidPlatform['field'], message: string): E.Either<InvalidPlatform, never> =>
  E.left({ _tag: 'InvalidPlatform', field, message })

/** The guest's usable physical address width in bits: MAXPHYADDR minus the reduction. */
export const usableWidth = (p: Platform): number => p.maxPhysAddr - p.reducedPhysBits

/** One past the highest usable guest-physical address: `2^usableWidth`. */
export const usableLimit = (p: Platform): bigint => 1n << BigInt(usableWidth(p))

/**
 * The "huge" shift of the mirror VM's first scheme: `2^(MAXPHYADDR - reduction - 1)`, the
 * bottom of the top half of the usable space.
 *
 * @example
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const p = confidential.platform.make({ kind: 'sev', cbitpos: 47, reducedPhysBits: 5, maxPhysAddr: 48 })
 * assert.ok(either.isRight(p))
 * assert.equal(confidential.platform.hugeShift(p.right), 1n << 42n)
 */
export const hugeShift = (p: Platform): bigint => 1n << BigInt(usableWidth(p) - 1)

/**
 * Validates the parameters: MAXPHYADDR 32..52, reduction 1..63 and smaller than
 * MAXPHYADDR, C-bit 0..63 (6 bits of CPUID) and not inside the usable width, vTOM only
 * for SEV-SNP, nonzero, 4 KiB-aligned and inside the usable width.
 *
 * @example
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * // QEMU's usual EPYC example: cbitpos=47, reduced-phys-bits=1 on a 48-bit host.
 * const ok = confidential.platform.make({ kind: 'sev-es', cbitpos: 47, reducedPhysBits: 1, maxPhysAddr: 48 })
 * assert.ok(either.isRight(ok))
 * assert.equal(confidential.platform.usableWidth(ok.right), 47)
 * const inside = confidential.platform.make({ kind: 'sev', cbitpos: 40, reducedPhysBits: 5, maxPhysAddr: 48 })
 * assert.ok(either.isLeft(inside) && inside.left.field === 'cbitpos')
 */
export const make = (p: Platform): E.Either<InvalidPlatform, Platform> => {
  if (p.kind !== 'sev' && p.kind !== 'sev-es' && p.kind !== 'sev-snp')
    return bad('kind', `unknown SEV kind ${JSON.stringify(p.kind)} (sev, sev-es, sev-snp)`)
  if (!Number.isInteger(p.maxPhysAddr) || p.maxPhysAddr < 32 || p.maxPhysAddr > 52)
    return bad('maxPhysAddr', `MAXPHYADDR ${p.maxPhysAddr} is outside 32..52`)
  if (!Number.isInteger(p.reducedPhysBits) || p.reducedPhysBits < 1 || p.reducedPhysBits > 63)
    return bad(
      'reducedPhysBits',
      `physical-address reduction ${p.reducedPhysBits} is outside 1..63 (QEMU reduced-phys-bits)`,
    )
  if (p.reducedPhysBits >= p.maxPhysAddr)
    return bad(
      'reducedPhysBits',
      `physical-address reduction ${p.reducedPhysBits} leaves no usable bits of MAXPHYADDR ${p.maxPhysAddr}`,
    )
  if (!Number.isInteger(p.cbitpos) || p.cbitpos < 0 || p.cbitpos > 63)
    return bad('cbitpos', `C-bit position ${p.cbitpos} is outside 0..63 (CPUID EBX[5:0])`)
  const width = usableWidth(p)
  if (p.cbitpos < width)
    return bad(
      'cbitpos',
      `C-bit ${p.cbitpos} lies inside the usable ${width}-bit physical width (MAXPHYADDR ${p.maxPhysAddr} - reduction ${p.reducedPhysBits})`,
    )
  if (p.vtom !== undefined) {
    if (p.kind !== 'sev-snp') return bad('vtom', `vTOM is an SEV-SNP feature, not ${p.kind}`)
    if (p.vtom === 0n || p.vtom % 0x1000n !== 0n)
      return bad('vtom', `vTOM ${toHex(p.vtom)} must be a nonzero multiple of 4 KiB`)
    if (p.vtom >= 1n << BigInt(width))
      return bad(
        'vtom',
        `vTOM ${toHex(p.vtom)} is beyond the usable ${width}-bit physical width (limit ${toHex(1n << BigInt(width))})`,
      )
  }
  return E.right(p)
}

/** The JSON form of a {@link Platform}: numbers as JSON numbers, vTOM as a hex string. */
export interface PlatformJson {
  readonly kind: string
  readonly cbitpos: number
  readonly reducedPhysBits: number
  readonly maxPhysAddr: number
  readonly vtom?: string
}

const Json = t.intersection([
  t.type({
    kind: t.keyof({ sev: null, 'sev-es': null, 'sev-snp': null }),
    cbitpos: t.Int,
    reducedPhysBits: t.Int,
    maxPhysAddr: t.Int,
  }),
  t.partial({ vtom: GpaFromHex }),
])

/**
 * io-ts codec for a platform: decoding runs {@link make}, so an impossible combination is
 * a decode error at the field's path.
 *
 * @example
 * import { errors } from 'ramaddr'
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const r = confidential.platform.PlatformCodec.decode({ kind: 'sev-snp', cbitpos: 51, reducedPhysBits: 1, maxPhysAddr: 52, vtom: '0x10000000000' })
 * assert.ok(either.isRight(r) && r.right.vtom === 1n << 40n)
 * const bad = confidential.platform.PlatformCodec.decode({ kind: 'sev', cbitpos: 51, reducedPhysBits: 60, maxPhysAddr: 52 })
 * assert.ok(either.isLeft(bad))
 * assert.match(errors.reportErrors(bad.left)[0], /^at reducedPhysBits: physical-address reduction 60/)
 */
export const PlatformCodec = new t.Type<Platform, PlatformJson, unknown>(
  'Platform',
  (u): u is Platform => typeof u === 'object' && u !== null && 'kind' in u && 'cbitpos' in u,
  (u, c) =>
    pipe(
      Json.validate(u, c),
      E.chain((j) => {
        const p: Platform = {
          kind: j.kind,
          cbitpos: j.cbitpos,
          reducedPhysBits: j.reducedPhysBits,
          maxPhysAddr: j.maxPhysAddr,
          ...(j.vtom === undefined ? {} : { vtom: j.vtom }),
        }
        return pipe(
          make(p),
          E.fold(
            (e) =>
              t.failure<Platform>(
                (u as Record<string, unknown>)[e.field],
                [...c, { key: e.field, type: t.unknown, actual: undefined }],
                e.message,
              ),
            (ok) => t.success(ok),
          ),
        )
      }),
    ),
  (p) => ({
    kind: p.kind,
    cbitpos: p.cbitpos,
    reducedPhysBits: p.reducedPhysBits,
    maxPhysAddr: p.maxPhysAddr,
    ...(p.vtom === undefined ? {} : { vtom: toHex(p.vtom) }),
  }),
)
