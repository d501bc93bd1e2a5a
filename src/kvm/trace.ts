/**
 * QEMU's `kvm_set_user_memory` trace line (accel/kvm/trace-events, 7.2):
 * `kvm_set_user_memory Slot#S flags=0xF gpa=0xG size=0xN ua=0xH ret=R`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { at, type TextError } from '../addresses/text-error.js'

/** A parsed trace line; `slot` keeps QEMU's `(as_id << 16) | id`. */
export interface TracedSlotOp {
  readonly slot: number
  readonly flags: number
  readonly gpa: bigint
  readonly size: bigint
  readonly ua: bigint
  readonly ret: number
}

const LINE =
  /^(?:kvm_set_user_memory )?Slot#([0-9]+) flags=0x([0-9a-f]+) gpa=0x([0-9a-f]+) size=0x([0-9a-f]+) ua=0x([0-9a-f]+) ret=(-?[0-9]+)$/

/**
 * Parses one trace line (1-based `lineNo` for the error).
 *
 * @example
 * import * as kvm from 'ramaddr/kvm'
 * import * as either from 'fp-ts/lib/Either.js'
 * const op = kvm.parseTraceLine(1, 'kvm_set_user_memory Slot#5 flags=0x1 gpa=0xfd000000 size=0x1000000 ua=0x7fb55ca00000 ret=0')
 * assert.ok(either.isRight(op))
 * assert.equal(op.right.slot, 5)
 * assert.equal(op.right.size, 0x1000000n)
 */
export const parseTraceLine = (lineNo: number, text: string): E.Either<TextError, TracedSlotOp> => {
  const m = LINE.exec(text.trim())
  if (m === null)
    return E.left(
      at(lineNo, 1, 'kvm_set_user_memory Slot#S flags=0xF gpa=0xG size=0xN ua=0xH ret=R', text),
    )
  const slot = Number(m[1])
  if (
    slot > 0xffffffff ||
    (m[2] ?? '').length > 8 ||
    (m[3] ?? '').length > 16 ||
    (m[4] ?? '').length > 17 ||
    (m[5] ?? '').length > 16
  )
    return E.left(at(lineNo, 1, 'values that fit their fields', text))
  return E.right({
    slot,
    flags: parseInt(m[2] ?? '0', 16),
    gpa: BigInt('0x' + (m[3] ?? '0')),
    size: BigInt('0x' + (m[4] ?? '0')),
    ua: BigInt('0x' + (m[5] ?? '0')),
    ret: Number(m[6]),
  })
}
