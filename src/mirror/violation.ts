/**
 * What can be wrong with a mirror plan. Every violation names the ranges involved and
 * says why in `message`.
 *
 * @module
 */
import type { AddrRange } from '../addresses/range.js'

/** A range of some address kind, as plain bigints. */
export type Span = AddrRange<bigint>

/** One violation. */
export type Violation =
  | {
      /** Two mirror slots share mirror GPAs. */
      readonly kind: 'overlap'
      readonly slots: readonly [number, number]
      readonly range: Span
      readonly message: string
    }
  | {
      /** A mirror slot ends beyond the guest's usable physical width. */
      readonly kind: 'beyond-width'
      readonly slot: number
      readonly range: Span
      readonly limit: bigint
      readonly message: string
    }
  | {
      /** A guest-memory slot collides with the helper's own memory. */
      readonly kind: 'helper-collision'
      readonly slot: number
      readonly range: Span
      readonly helper: Span
      readonly message: string
    }
  | {
      /** SEV-SNP: a page mapped at two GPAs by one ASID (main VM and mirror share it). */
      readonly kind: 'snp-double-mapping'
      readonly ram: Span
      readonly gpas: readonly [bigint, bigint]
      readonly message: string
    }
  | {
      /** vTOM: the helper's private memory at or above vTOM. */
      readonly kind: 'vtom-private-above'
      readonly slot: number
      readonly range: Span
      readonly vtom: bigint
      readonly message: string
    }
  | {
      /** vTOM: memory shared with the main VM below vTOM. */
      readonly kind: 'vtom-shared-below'
      readonly slot: number
      readonly range: Span
      readonly vtom: bigint
      readonly message: string
    }
  | {
      /** A tuple's main range is not RAM-backed throughout. */
      readonly kind: 'tuple-not-ram'
      readonly tuple: number
      readonly hole: Span
      readonly message: string
    }
  | {
      /** A tuple is malformed (empty, unaligned, wrapping). */
      readonly kind: 'tuple-invalid'
      readonly tuple: number
      readonly message: string
    }
  | {
      /** No room for the helper below the usable limit outside guest-visible memory. */
      readonly kind: 'helper-no-room'
      readonly size: bigint
      readonly limit: bigint
      readonly message: string
    }
