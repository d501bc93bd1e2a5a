/**
 * One region line of `info mtree` (`mtree_print_mr`, softmmu/memory.c), in either of the
 * two ways QEMU has printed what a region is:
 *
 *     [DETECTED OVERFLOW!] <indent>START-END (prio P, [nv-]TYPE): NAME[ [disabled]]
 *     [DETECTED OVERFLOW!] <indent>START-END (prio P, [nv-]TYPE): alias NAME \@TARGET OFF-OFFEND[ [disabled]]
 *     <indent>START-END (prio P, RW): NAME                       (before QEMU 2.9)
 *
 * A type word (`ram`, `rom`, `romd`, `ramd`, `i/o`; for an alias, its target's) replaced
 * the two access characters in QEMU 2.9 (commit 4e8319014659; see docs/dumps.md). The access characters are `R` when the region is in romd mode
 * (every region but a ROM device switched to MMIO) and `W` when it is neither read-only
 * nor a ROM device in romd mode.
 *
 * With `-o` (QEMU 3.0 on) an owner suffix (` owner:{dev id=net0}`, ` parent:{obj
 * path=…}`, ` orphan`) ends the line; it is read past, not kept. The overflow marker comes
 * before the indentation (after it before QEMU 5.1); the indentation is two spaces per
 * level; addresses are 16 lowercase hex digits (`TARGET_FMT_plx`; 8 only in forks of QEMU
 * 1.2 and older on 32-bit targets); `END = START + size - 1`,
 * except that a 0-byte region prints `START-START` (`MR_SIZE(0)` is 0).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { at, type TextError } from '../addresses/text-error.js'

/** The type word of a line (`container` in dumps of QEMU later than 10.0). */
export type TypeWord = 'ram' | 'rom' | 'romd' | 'ramd' | 'i/o' | 'container'

/** The two access characters of the pre-2.9 dialect: romd mode (`R`), writable (`W`). */
export interface Access {
  readonly romd: boolean
  readonly writable: boolean
}

/** A parsed region line. */
export interface MtreeLine {
  /** Indentation in levels (two spaces each); 0 for a line with no indentation. */
  readonly level: number
  readonly start: bigint
  readonly end: bigint
  /** How many hex digits the addresses have (16, or 8 on old 32-bit targets). */
  readonly digits: number
  readonly priority: number
  readonly nonvolatile: boolean
  /** The type word; in the access dialect, `i/o` unless the access says `rom`/`romd`. */
  readonly type: TypeWord
  /** The access characters, for a line of the pre-2.9 dialect. */
  readonly access?: Access
  readonly name: string
  readonly disabled: boolean
  readonly alias?: { readonly target: string; readonly offset: bigint; readonly offsetEnd: bigint }
  /** 1-based column where the name starts, for later errors. */
  readonly nameColumn: number
  /** The number of `[DETECTED OVERFLOW!] ` markers before the indentation. */
  readonly overflow: number
}

/** The overflow marker. */
export const OVERFLOW = '[DETECTED OVERFLOW!] '
const DISABLED = ' [disabled]'
/** The owner suffix of `info mtree -o` (`mtree_print_mr_owner`, QEMU 3.0 on). */
export const OWNER =
  / (?:owner:\{(?:dev|obj) [a-z]+=[^}]*\}(?: parent:\{(?:dev|obj) [a-z]+=[^}]*\})?|parent:\{(?:dev|obj) [a-z]+=[^}]*\}|orphan)$/

const isHexDigit = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102)

const ALL_ONES = (1n << 64n) - 1n

/**
 * The value of `digits` (8 or 16) lowercase hex digits at `c`, already checked, read from
 * the character codes: one bigint, made from a number when the value is below 2^53.
 */
const hexValue = (text: string, c: number, digits: number): bigint => {
  let hi = 0
  let lo = 0
  const split = c + digits - 8
  for (let i = c; i < split; i++) {
    const d = text.charCodeAt(i)
    hi = hi * 16 + (d <= 57 ? d - 48 : d - 87)
  }
  for (let i = split; i < c + digits; i++) {
    const d = text.charCodeAt(i)
    lo = lo * 16 + (d <= 57 ? d - 48 : d - 87)
  }
  if (hi < 0x200000) return BigInt(hi * 0x100000000 + lo)
  if (hi === 0xffffffff && lo === 0xffffffff) return ALL_ONES
  return (BigInt(hi) << 32n) | BigInt(lo)
}

/** The length of the run of lowercase hex digits at `c`. */
const hexRun = (text: string, c: number): number => {
  let n = 0
  while (c + n < text.length && isHexDigit(text.charCodeAt(c + n))) n++
  return n
}

const failAt = (
  lineNo: number,
  c: number,
  text: string,
  expected: string,
): E.Either<TextError, MtreeLine> => E.left(at(lineNo, c + 1, expected, text.slice(c)))

/** The type word at `c` followed by `"): "`, if there is one (no allocation). */
const typeWordAt = (text: string, c: number): TypeWord | undefined => {
  const a = text.charCodeAt(c)
  let word: TypeWord | undefined
  if (a === 114 /* r */) {
    const b = text.charCodeAt(c + 1)
    const m = text.charCodeAt(c + 2)
    if (m !== 109 /* m */ || (b !== 97 /* a */ && b !== 111) /* o */) return undefined
    word =
      text.charCodeAt(c + 3) === 100 /* d */ && text.startsWith('): ', c + 4)
        ? b === 97
          ? 'ramd'
          : 'romd'
        : b === 97
          ? 'ram'
          : 'rom'
  } else if (a === 105 /* i */) word = 'i/o'
  else if (a === 99 /* c */) word = 'container'
  else return undefined
  return text.startsWith(word, c) && text.startsWith('): ', c + word.length) ? word : undefined
}

/**
 * Parses a region line (without its line ending). `lineNo` is 1-based. The line may have
 * no indentation (a section root, as some dumps paste it); the caller checks levels.
 *
 * @example
 * import * as mtreeLine from 'ramaddr/internal/qemu/mtree-line'
 * import * as either from 'fp-ts/lib/Either.js'
 * const l = mtreeLine.parseLine(7, '    00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios 0000000000020000-000000000003ffff')
 * assert.ok(either.isRight(l))
 * assert.equal(l.right.level, 2)
 * assert.deepEqual(l.right.alias, { target: 'pc.bios', offset: 0x20000n, offsetEnd: 0x3ffffn })
 * const old = mtreeLine.parseLine(3, '    00000000000c0000-00000000000dffff (prio 1, R-): pc.rom')
 * assert.ok(either.isRight(old))
 * assert.deepEqual(old.right.access, { romd: true, writable: false })
 * const bad = mtreeLine.parseLine(7, '  0000000000000000-00000000000fffff (prio x, ram): pc.ram')
 * assert.ok(either.isLeft(bad))
 * assert.equal(bad.left.message, 'line 7, column 43: expected a priority (a decimal integer), found "x, ram): pc.ram"')
 */
export const parseLine = (lineNo: number, text: string): E.Either<TextError, MtreeLine> => {
  // (no closure over `c`: this runs once per line of a dump, and a captured, mutated
  // local would live in a heap context)
  let c = 0
  let overflow = 0
  if (text.charCodeAt(0) === 91 /* [ */)
    while (text.startsWith(OVERFLOW, c)) {
      c += OVERFLOW.length
      overflow++
    }
  const indentStart = c
  while (text.charCodeAt(c) === 32) c++
  const indent = c - indentStart
  if (indent % 2 !== 0) return failAt(lineNo, c, text, 'an indentation of two spaces per level')
  const level = indent / 2
  const digits = hexRun(text, c)
  if (digits !== 16 && digits !== 8) {
    c += digits === 17 ? 16 : 0
    return failAt(lineNo, c, text, 'a start address of 16 lowercase hex digits')
  }
  const start = hexValue(text, c, digits)
  c += digits
  if (text.charCodeAt(c) !== 45 /* - */) return failAt(lineNo, c, text, '"-" between start and end')
  c += 1
  const endRun = hexRun(text, c)
  if (endRun !== digits) {
    c += endRun > digits ? digits : endRun
    return failAt(
      lineNo,
      c,
      text,
      `an end address of ${digits} lowercase hex digits, as the start has`,
    )
  }
  const end = hexValue(text, c, digits)
  c += digits
  if (!text.startsWith(' (prio ', c)) return failAt(lineNo, c, text, '" (prio "')
  c += 7
  // -?[0-9]{1,10}, read from the character codes
  const negative = text.charCodeAt(c) === 45
  let p = negative ? c + 1 : c
  let magnitude = 0
  while (p < text.length && p - c < (negative ? 11 : 10)) {
    const d = text.charCodeAt(p)
    if (d < 48 || d > 57) break
    magnitude = magnitude * 10 + (d - 48)
    p++
  }
  if (p === (negative ? c + 1 : c)) return failAt(lineNo, c, text, 'a priority (a decimal integer)')
  const priority = negative ? -magnitude : magnitude
  if (priority < -(2 ** 31) || priority >= 2 ** 31)
    return failAt(lineNo, c, text, 'a priority that fits 32 bits')
  c = p
  if (text.charCodeAt(c) !== 44 /* , */ || text.charCodeAt(c + 1) !== 32)
    return failAt(lineNo, c, text, '", " after the priority')
  c += 2
  let type: TypeWord
  let access: Access | undefined
  const nonvolatile = text.charCodeAt(c) === 110 /* n */ && text.startsWith('nv-', c)
  if (nonvolatile) c += 3
  const word = typeWordAt(text, c)
  if (word !== undefined) {
    type = word
    c += word.length + 3
  } else {
    const r = text[c]
    const w = text[c + 1]
    if (nonvolatile || (r !== 'R' && r !== '-') || (w !== 'W' && w !== '-'))
      return failAt(
        lineNo,
        c,
        text,
        'a type (ram, rom, romd, ramd or i/o) or access flags (RW, R-, -W, --) and "): "',
      )
    if (!text.startsWith('): ', c + 2))
      return failAt(lineNo, c + 2, text, '"): " after the access flags')
    access = { romd: r === 'R', writable: w === 'W' }
    // R- is a ROM (or a ROM device in romd mode); -W a ROM device in MMIO mode
    type = access.romd && !access.writable ? 'rom' : !access.romd ? 'romd' : 'i/o'
    c += 5
  }
  let rest = text.slice(c)
  // info mtree -o (QEMU 3.0 on): " owner:{…}", " parent:{…}" or " orphan" ends the line
  const owner = rest.includes(':{') || rest.endsWith(' orphan') ? OWNER.exec(rest) : null
  if (owner !== null && owner.index > 0) rest = rest.slice(0, owner.index)
  // (" [disabled]" ends in "]")
  const disabled = rest.charCodeAt(rest.length - 1) === 93 && rest.endsWith(DISABLED)
  if (disabled) rest = rest.slice(0, -DISABLED.length)
  const nameColumn = c + 1
  // one object shape for every line (no spreads: this runs once per line of a dump)
  const line: { -readonly [K in keyof MtreeLine]: MtreeLine[K] } = {
    level,
    start,
    end,
    digits,
    priority,
    nonvolatile,
    type,
    name: rest,
    disabled,
    nameColumn,
    overflow,
  }
  if (access !== undefined) line.access = access
  if (rest.charCodeAt(0) !== 97 /* a */ || !rest.startsWith('alias ')) {
    if (rest.length === 0) return failAt(lineNo, c, text, 'a region name')
    return E.right(line)
  }
  // alias NAME @TARGET OFF-OFFEND
  const body = rest.slice(6)
  const sp = body.lastIndexOf(' ')
  const window = sp < 0 ? '' : body.slice(sp + 1)
  const dash = window.indexOf('-')
  const offText = window.slice(0, dash)
  const offEndText = window.slice(dash + 1)
  if (
    dash < 0 ||
    offText.length !== digits ||
    offEndText.length !== digits ||
    hexRun(offText, 0) !== digits ||
    hexRun(offEndText, 0) !== digits
  ) {
    return failAt(
      lineNo,
      text.length - (disabled ? DISABLED.length : 0),
      text,
      `the alias window "OFFSET-END" in ${digits}-digit hex at the end of an alias line`,
    )
  }
  const head = body.slice(0, sp)
  const at_ = head.indexOf(' @')
  if (at_ <= 0 || at_ + 2 >= head.length) {
    return failAt(lineNo, nameColumn - 1 + 6, text, '"alias NAME @TARGET"')
  }
  line.name = head.slice(0, at_)
  line.alias = {
    target: head.slice(at_ + 2),
    offset: BigInt('0x' + offText),
    offsetEnd: BigInt('0x' + offEndText),
  }
  line.nameColumn = nameColumn + 6
  return E.right(line)
}

/**
 * Reads the common region line in place, from `from` to `to` (the line's end, without its
 * line ending) in `text`: indented, type word, no `nv-`, owner suffix, ` [disabled]` or
 * alias, a priority of at most 9 digits, nothing after the name. For such a line it
 * answers what {@link parseLine} answers for `text.slice(from, to)`; for any other line,
 * `undefined` (no allocation, no error: the caller reads it with {@link parseLine}).
 * Parsers call it first, on every line of a dump, to skip slicing and re-checking.
 *
 * @example
 * import * as mtreeLine from 'ramaddr/internal/qemu/mtree-line'
 * import * as either from 'fp-ts/lib/Either.js'
 * const text = '      0000000000000000-00000000000fffff (prio 0, ram): pc.ram'
 * const line = mtreeLine.parseLine(1, text.slice(2))
 * assert.ok(either.isRight(line))
 * assert.deepEqual(mtreeLine.readPlainLine(text, 2), line.right)
 * assert.equal(mtreeLine.readPlainLine(text + ' [disabled]', 2), undefined)
 */
export const readPlainLine = (
  text: string,
  from: number,
  to = text.length,
): MtreeLine | undefined => {
  const last = text.charCodeAt(to - 1)
  // trailing blanks, and " [disabled]"
  if (last === 32 || last === 9 || last === 13 || last === 93 /* ] */) return undefined
  let c = from
  while (text.charCodeAt(c) === 32) c++
  const indent = c - from
  if (indent < 2 || indent % 2 !== 0 || c + 40 > to) return undefined
  // START-END (prio : 16 + 1 + 16 + 7 characters
  for (let i = c; i < c + 16; i++) if (!isHexDigit(text.charCodeAt(i))) return undefined
  if (text.charCodeAt(c + 16) !== 45 /* - */) return undefined
  for (let i = c + 17; i < c + 33; i++) if (!isHexDigit(text.charCodeAt(i))) return undefined
  if (!text.startsWith(' (prio ', c + 33)) return undefined
  const start = hexValue(text, c, 16)
  const end = hexValue(text, c + 17, 16)
  let p = c + 40
  const negative = text.charCodeAt(p) === 45
  if (negative) p++
  const digitsFrom = p
  let magnitude = 0
  while (p - digitsFrom < 9) {
    const d = text.charCodeAt(p)
    if (d < 48 || d > 57) break
    magnitude = magnitude * 10 + (d - 48)
    p++
  }
  if (p === digitsFrom || text.charCodeAt(p) !== 44 /* , */ || text.charCodeAt(p + 1) !== 32)
    return undefined
  const type = typeWordAt(text, p + 2)
  if (type === undefined) return undefined
  const n = p + 2 + type.length + 3
  // a name, not an alias's, with no owner suffix (":{", " orphan")
  if (n >= to || (text.charCodeAt(n) === 97 /* a */ && text.startsWith('alias', n)))
    return undefined
  for (let i = n; i < to - 1; i++)
    if (text.charCodeAt(i) === 58 /* : */ && text.charCodeAt(i + 1) === 123 /* { */)
      return undefined
  if (last === 110 /* n */ && text.startsWith(' orphan', to - 7)) return undefined
  // the same keys in the same order as parseLine's line
  return {
    level: indent / 2,
    start,
    end,
    digits: 16,
    priority: negative ? -magnitude : magnitude,
    nonvolatile: false,
    type,
    name: text.slice(n, to),
    disabled: false,
    nameColumn: n - from + 1,
    overflow: 0,
  }
}
