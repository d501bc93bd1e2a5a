/**
 * A mirror-VM plan: the mirror's memslot table under one of the two schemes, with the
 * helper's memory placed and backed, and every violation the validators find.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { MirrorGpa } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import type { Platform } from '../confidential/platform.js'
import { hugeShift, usableLimit } from '../confidential/platform.js'
import { add } from '../ramblock/ram-list.js'
import type { AddressMap } from '../translate/address-map.js'
import { withRamList } from './blocks.js'
import { guestVisible, type GuestVisibleOptions } from './guest-visible.js'
import { placeHelper, type HelperLayout, type HelperSpec } from './helper.js'
import { mirrorEnd, number, type MirrorSlot, type UnnumberedSlot } from './mirror-slot.js'
import { FOUR_GIB, shiftedScheme } from './shifted.js'
import { tupleSlots, type Tuple } from './tuple.js'
import { validate } from './validate.js'
import type { Violation } from './violation.js'

/** The architectural maximum of x86-64 physical addresses, used when no platform is given. */
export const ARCH_LIMIT = 1n << 52n

/** Which scheme, with its parameters. */
export type Scheme =
  | {
      readonly kind: 'shifted'
      /** Default: the platform's huge shift, or 4 GiB without a platform. */
      readonly shift?: bigint
      /** Default 4 GiB; 0 maps no identity part. */
      readonly identityLimit?: bigint
    }
  | { readonly kind: 'tuples'; readonly tuples: ReadonlyArray<Tuple> }

/** What a plan is made from. */
export interface PlanInput {
  /** The main VM's map (address space `memory`). */
  readonly map: AddressMap
  readonly scheme: Scheme
  readonly platform?: Platform
  /** The helper; omit for a plan without one. */
  readonly helper?: HelperSpec
  readonly guestVisible?: GuestVisibleOptions
  readonly hostPageSize?: bigint
}

/** A plan. */
export interface MirrorPlan {
  readonly scheme: Scheme['kind']
  /** The shift of the shifted scheme. */
  readonly shift?: bigint
  readonly platform?: Platform
  /** One past the highest usable mirror GPA. */
  readonly limit: bigint
  /** The host page size slots were rounded to. */
  readonly hostPageSize: bigint
  /** The mirror's memslots, by slot id: identity, shifted, tuple, then helper. */
  readonly slots: ReadonlyArray<MirrorSlot>
  readonly helper?: HelperLayout
  /** The main VM's map with the helper's RAMBlock added to its RAM list. */
  readonly map: AddressMap
  /** The main VM's guest-visible ranges the helper was kept out of. */
  readonly guestVisible: ReadonlyArray<AddrRange<bigint>>
}

/** A plan and what is wrong with it (nothing, for a valid plan). */
export interface PlanResult {
  readonly plan: MirrorPlan
  readonly violations: ReadonlyArray<Violation>
}

/**
 * The guest-memory slots of a scheme over `map` (no ids): the shifted scheme's identity
 * and shifted slots, or the declared tuples' slots and their violations. `shift` is the
 * shifted scheme's (4 GiB when omitted); `exclude` names RAMBlocks not to shift.
 */
export const guestSlots =
  (
    scheme: Scheme,
    o: {
      readonly shift?: bigint | undefined
      readonly exclude?: ReadonlyArray<string>
      readonly hostPageSize?: bigint
    },
  ) =>
  (
    map: AddressMap,
  ): {
    readonly slots: ReadonlyArray<UnnumberedSlot>
    readonly violations: ReadonlyArray<Violation>
  } =>
    scheme.kind === 'shifted'
      ? {
          slots: shiftedScheme({
            shift: o.shift ?? FOUR_GIB,
            identityLimit: scheme.identityLimit ?? FOUR_GIB,
            exclude: o.exclude ?? [],
            hostPageSize: o.hostPageSize ?? 0x1000n,
          })(map),
          violations: [],
        }
      : tupleSlots(scheme.tuples, o.hostPageSize ?? 0x1000n)(map)

/**
 * Builds the plan: the scheme's slots, then the helper placed at the top of the usable
 * space clear of guest-visible memory and of the scheme's slots, backed by a new RAMBlock
 * allocated as QEMU allocates blocks, then every validator.
 *
 * @example
 * import { translate, mtree, infoRamblock, machines } from 'ramaddr'
 * import * as mirror from 'ramaddr/mirror'
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse(machines.Q35.mtree)
 * const l = infoRamblock.parse(machines.Q35.ramblock)
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * const p = confidential.platform.make({ kind: 'sev', cbitpos: 47, reducedPhysBits: 5, maxPhysAddr: 48 })
 * assert.ok(either.isRight(map) && either.isRight(p))
 * const r = mirror.plan({ map: map.right, scheme: { kind: 'shifted' }, platform: p.right, helper: { vcpus: 1 } })
 * assert.deepEqual(r.violations, [])
 * assert.equal(r.plan.shift, 1n << 42n) // 2^(48 - 5 - 1)
 * assert.equal(r.plan.helper.base, (1n << 43n) - 0x400000n)
 */
export const plan = (input: PlanInput): PlanResult => {
  const { map, platform } = input
  const limit = platform === undefined ? ARCH_LIMIT : usableLimit(platform)
  const page = input.hostPageSize ?? 0x1000n
  const helperName = input.helper?.block ?? 'mirror-helper.ram'
  const shift =
    input.scheme.kind === 'shifted'
      ? (input.scheme.shift ?? (platform === undefined ? FOUR_GIB : hugeShift(platform)))
      : undefined
  const guest = guestSlots(input.scheme, { shift, exclude: [helperName], hostPageSize: page })(map)
  const violations: Violation[] = [...guest.violations]
  const slots: UnnumberedSlot[] = [...guest.slots]
  const visible = guestVisible(input.guestVisible)(map)
  let helper: HelperLayout | undefined
  let finalMap = map
  if (input.helper !== undefined) {
    // Under vTOM the helper's memory is private to the mirror: keep it below vTOM.
    const helperLimit =
      platform?.vtom !== undefined && platform.vtom < limit ? platform.vtom : limit
    const placed = placeHelper(input.helper, helperLimit, [
      ...visible,
      ...slots.map((s) => ({ start: s.mirrorGpa as bigint, end: mirrorEnd(s) })),
    ])
    if (E.isLeft(placed)) violations.push(placed.left)
    else {
      helper = placed.right
      const list = add({ idstr: helper.block, usedLength: helper.size })(map.ramList)
      if (E.isRight(list)) {
        finalMap = withRamList(list.right)(map)
        const block = finalMap.blocks.get(helper.block)
        if (block !== undefined)
          slots.push({
            mirrorGpa: helper.base as MirrorGpa,
            size: helper.size,
            ramAddr: block.offset,
            block: block.idstr,
            source: 'helper',
            flags: 0,
          })
      } else
        violations.push({
          kind: 'helper-no-room',
          size: helper.size,
          limit,
          message: `cannot add the helper's RAMBlock: ${list.left.message}`,
        })
    }
  }
  const result: MirrorPlan = {
    scheme: input.scheme.kind,
    ...(shift === undefined ? {} : { shift }),
    ...(platform === undefined ? {} : { platform }),
    limit,
    hostPageSize: page,
    slots: number(slots),
    ...(helper === undefined ? {} : { helper }),
    map: finalMap,
    guestVisible: visible,
  }
  return { plan: result, violations: [...violations, ...validate(result)] }
}
