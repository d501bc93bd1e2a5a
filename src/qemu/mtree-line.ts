/**
 * One region line of `info mtree` (`mtree_print_mr`, softmmu/memory.c, QEMU 7.2):
 *
 *     [DETECTED OVERFLOW!] <indent>START-END (prio P, [nv-]TYPE): NAME[ [disabled]]
 *     [DETECTED OVERFLOW!] <indent>START-END (prio P, [nv-]TYPE): alias NAME \@TARGET OFF-OFFEND[ [disabled]]
 *
 * The overflow marker comes before the indentation (QEMU prints it before choosing
 * whether to show the line); the indentation is two spaces per level; addresses are 16
 * lowercase hex digits; `END = START + size - 1`, except that a 0-byte region prints
 * `START-START` (`MR_SIZE(0)` is 0).
 *
 * @module
 */
import { either as E } from 'fp-ts'
import { at, type TextError } from '../addresses/text-error.js'

/** The type word of a line. */
export type TypeWord = 'ram' | 'rom' | 'romd' | 'ramd' | 'i/o'

/** A parsed region line. */
export interface MtreeLine {
  readonly level: number
  readonly start: bigint
  readonly end: bigint
  readonly priority: number
  readonly nonvolatile: boolean
  readonly type: TypeWord
  readonly name: string
  readonly disabled: boolean
  readonly alias?: { readonly target: string; readonly offset: bigint; readonly offsetEnd: bigint }
  /** 1-based column where the name starts, for later errors. */
  readonly nameColumn: number
}

/** The overflow marker. */
export const OVERFLOW = '[DETECTED OVERFLOW!] '
const DISABLED = ' [disabled]'
const HEX16 = /^[0-9a-f]{16}$/
const TYPES: ReadonlyArray<TypeWord> = ['ramd', 'romd', 'ram', 'rom', 'i/o']

/**
 * Parses a region line (without its line ending). `lineNo` is 1-based.
 *
 * @example
 * import { mtreeLine } from 'ramaddr'
 * import { either } from 'fp-ts'
 * const l = mtreeLine.parseLine(7, '    00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios 0000000000020000-000000000003ffff')
 * assert.ok(either.isRight(l))
 * assert.equal(l.right.level, 2)
 * assert.deepEqual(l.right.alias, { target: 'pc.bios', offset: 0x20000n, offsetEnd: 0x3ffffn })
 * const bad = mtreeLine.parseLine(7, '  0000000000000000-00000000000fffff (prio x, ram): pc.ram')
 * assert.ok(either.isLeft(bad))
 * assert.equal(bad.left.message, 'line 7, column 43: expected a priority (a decimal integer), found "x, ram): pc.ram"')
 */
export const parseLine = (lineNo: number, text: string): E.Either<TextError, MtreeLine> => {
  let c = 0
  const fail = (expected: string): E.Either<TextError, MtreeLine> =>
    E.left(at(lineNo, c + 1, expected, text.slice(c)))
  while (text.startsWith(OVERFLOW, c)) c += OVERFLOW.length
  const indentStart = c
  while (text[c] === ' ') c++
  const indent = c - indentStart
  if (indent === 0 || indent % 2 !== 0)
    return fail('an indentation of two spaces per level (at least one level)')
  const level = indent / 2
  const startText = text.slice(c, c + 16)
  if (!HEX16.test(startText)) return fail('a start address of 16 lowercase hex digits')
  const start = BigInt('0x' + startText)
  c += 16
  if (text[c] !== '-') return fail('"-" between start and end')
  c += 1
  const endText = text.slice(c, c + 16)
  if (!HEX16.test(endText)) return fail('an end address of 16 lowercase hex digits')
  const end = BigInt('0x' + endText)
  c += 16
  if (!text.startsWith(' (prio ', c)) return fail('" (prio "')
  c += 7
  const prio = /^-?[0-9]{1,10}/.exec(text.slice(c))
  if (prio === null) return fail('a priority (a decimal integer)')
  const priority = Number(prio[0])
  if (priority < -(2 ** 31) || priority >= 2 ** 31) return fail('a priority that fits 32 bits')
  c += prio[0].length
  if (!text.startsWith(', ', c)) return fail('", " after the priority')
  c += 2
  const nonvolatile = text.startsWith('nv-', c)
  if (nonvolatile) c += 3
  const type = TYPES.find((t) => text.startsWith(t + '): ', c))
  if (type === undefined) return fail('a type (ram, rom, romd, ramd or i/o) and "): "')
  c += type.length + 3
  let rest = text.slice(c)
  const disabled = rest.endsWith(DISABLED)
  if (disabled) rest = rest.slice(0, -DISABLED.length)
  const nameColumn = c + 1
  if (!rest.startsWith('alias ')) {
    if (rest.length === 0) return fail('a region name')
    return E.right({
      level,
      start,
      end,
      priority,
      nonvolatile,
      type,
      name: rest,
      disabled,
      nameColumn,
    })
  }
  // alias NAME @TARGET OFF-OFFEND
  const body = rest.slice(6)
  const tail = /^(.*) ([0-9a-f]{16})-([0-9a-f]{16})$/.exec(body)
  if (tail === null || tail[1] === undefined || tail[2] === undefined || tail[3] === undefined) {
    c = text.length - (disabled ? DISABLED.length : 0)
    return fail('the alias window "OFFSET-END" in 16-digit hex at the end of an alias line')
  }
  const at_ = tail[1].indexOf(' @')
  if (at_ <= 0 || at_ + 2 >= tail[1].length) {
    c = nameColumn - 1 + 6
    return fail('"alias NAME @TARGET"')
  }
  return E.right({
    level,
    start,
    end,
    priority,
    nonvolatile,
    type,
    name: tail[1].slice(0, at_),
    disabled,
    alias: {
      target: tail[1].slice(at_ + 2),
      offset: BigInt('0x' + tail[2]),
      offsetEnd: BigInt('0x' + tail[3]),
    },
    nameColumn: nameColumn + 6,
  })
}
