/**
 * `info ramblock` as QEMU 7.2 prints it (`ram_block_format`, softmmu/physmem.c): a
 * header, then one row per RAMBlock in RAM-list order. Each row is the idstr
 * right-aligned in 24 columns (longer names overflow), a space, the page size from
 * `size_to_str` right-aligned in 8, two spaces, then `0x` and 16 lowercase hex digits for
 * offset, used length and max length, separated by single spaces. HMP ends lines with
 * `\r\n`.
 *
 * @module
 */
import { either as E, option as O } from 'fp-ts'
import type { RamAddr, Size } from '../addresses/kinds.js'
import { PAGE_4K, type PageSize } from '../addresses/page.js'
import { TWO_64 } from '../addresses/u64.js'
import { NO_FLAGS, regionNameOf, type RAMBlock } from '../ramblock/ramblock.js'
import type { RamList } from '../ramblock/ram-list.js'
import { parsePowerOfTwoSize, sizeToStr } from './size-to-str.js'
import { at, splitLines, type TextError } from '../addresses/text-error.js'

/** The header line, without its line ending. */
export const HEADER = `${'Block Name'.padStart(24)} ${'PSize'.padStart(8)}  ${'Offset'.padStart(18)} ${'Used'.padStart(18)} ${'Total'.padStart(18)}`

const hex18 = (n: bigint): string => '0x' + n.toString(16).padStart(16, '0')

/** One row, without its line ending. */
export const formatRow = (b: RAMBlock): string =>
  `${b.idstr.padStart(24)} ${sizeToStr(b.pageSize).padStart(8)}  ${hex18(b.offset)} ${hex18(b.usedLength)} ${hex18(b.maxLength)}`

/** How to print. */
export interface FormatOptions {
  /** Line ending: `\r\n` as HMP prints (the default), or `\n`. */
  readonly eol?: '\r\n' | '\n'
}

/**
 * The RAM list as `info ramblock` prints it, blocks in list order.
 *
 * @example
 * import { infoRamblock, ramList } from 'ramaddr'
 * import { either } from 'fp-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(ramList.empty(), ramList.add({ idstr: 'pc.ram', usedLength: 0x8000000n }))
 * assert.ok(either.isRight(list))
 * assert.equal(
 *   infoRamblock.format({ eol: '\n' })(list.right),
 *   '              Block Name    PSize              Offset               Used              Total\n' +
 *     '                  pc.ram    4 KiB  0x0000000000000000 0x0000000008000000 0x0000000008000000\n',
 * )
 */
export const format =
  (options: FormatOptions = {}) =>
  (list: RamList): string => {
    const eol = options.eol ?? '\r\n'
    return [HEADER, ...list.blocks.map(formatRow)].map((l) => l + eol).join('')
  }

/** Columns after the name: " " + psize(8) + "  " + 3 × 18 + 2 separators. */
const TAIL = 1 + 8 + 2 + 18 + 1 + 18 + 1 + 18

const HEX16 = /^[0-9a-f]{16}$/

const parseHexField = (
  lineNo: number,
  line: string,
  col0: number,
  what: string,
): E.Either<TextError, bigint> => {
  const field = line.slice(col0, col0 + 18)
  if (!field.startsWith('0x'))
    return E.left(at(lineNo, col0 + 1, `0x before the ${what}`, line.slice(col0)))
  const digits = field.slice(2)
  if (!HEX16.test(digits)) {
    const bad = [...digits].findIndex((c) => !/[0-9a-f]/.test(c))
    const col = col0 + 2 + (bad < 0 ? digits.length : bad)
    return E.left(at(lineNo, col + 1, `16 lowercase hex digits for the ${what}`, line.slice(col)))
  }
  return E.right(BigInt('0x' + digits))
}

const expectSpaces = (
  lineNo: number,
  line: string,
  col0: number,
  n: number,
  before: string,
): E.Either<TextError, void> => {
  for (let i = 0; i < n; i++)
    if (line[col0 + i] !== ' ')
      return E.left(at(lineNo, col0 + i + 1, `a space before the ${before}`, line.slice(col0 + i)))
  return E.right(undefined)
}

/** Parses one row (1-based `lineNo` for messages). */
const parseRow = (lineNo: number, line: string): E.Either<TextError, RAMBlock> => {
  if (line.length < 24 + TAIL)
    return E.left(
      at(
        lineNo,
        line.length + 1,
        'a RAMBlock row: name (24 columns), page size, offset, used and total',
        '',
      ),
    )
  const nameEnd = line.length - TAIL
  const nameField = line.slice(0, nameEnd)
  const idstr = nameField.replace(/^ +/, '')
  if (idstr.length === 0) return E.left(at(lineNo, 1, 'a RAMBlock name', nameField))
  if (idstr.padStart(24) !== nameField)
    return E.left(at(lineNo, 1, 'the name right-aligned in 24 columns', nameField))
  return parseRowTail(lineNo, line, nameEnd, idstr)
}

const parseRowTail = (
  lineNo: number,
  line: string,
  nameEnd: number,
  idstr: string,
): E.Either<TextError, RAMBlock> => {
  let c = nameEnd
  const sp1 = expectSpaces(lineNo, line, c, 1, 'page size')
  if (E.isLeft(sp1)) return sp1
  c += 1
  const psField = line.slice(c, c + 8)
  const ps = parsePowerOfTwoSize(psField.replace(/^ +/, ''))
  if (O.isNone(ps) || sizeToStr(ps.value).padStart(8) !== psField)
    return E.left(
      at(lineNo, c + 1, 'a page size as QEMU prints it (e.g. "   4 KiB")', line.slice(c)),
    )
  c += 8
  const sp2 = expectSpaces(lineNo, line, c, 2, 'offset')
  if (E.isLeft(sp2)) return sp2
  c += 2
  const offset = parseHexField(lineNo, line, c, 'offset')
  if (E.isLeft(offset)) return offset
  c += 18
  const sp3 = expectSpaces(lineNo, line, c, 1, 'used length')
  if (E.isLeft(sp3)) return sp3
  c += 1
  const used = parseHexField(lineNo, line, c, 'used length')
  if (E.isLeft(used)) return used
  c += 18
  const sp4 = expectSpaces(lineNo, line, c, 1, 'total length')
  if (E.isLeft(sp4)) return sp4
  c += 1
  const max = parseHexField(lineNo, line, c, 'total length')
  if (E.isLeft(max)) return max
  const maxCol = c + 1
  if (max.right === 0n) return E.left(at(lineNo, maxCol, 'a non-zero total length', line.slice(c)))
  if (used.right > max.right)
    return E.left(
      at(lineNo, maxCol, 'a total length no smaller than the used length', line.slice(c)),
    )
  if (offset.right + max.right > TWO_64)
    return E.left(at(lineNo, maxCol, 'a block that ends at or below 2^64', line.slice(c)))
  return E.right({
    idstr,
    offset: offset.right as RamAddr,
    usedLength: used.right as Size,
    maxLength: max.right as Size,
    pageSize: ps.value as PageSize,
    flags: { ...NO_FLAGS, resizeable: used.right !== max.right },
    mr: regionNameOf(idstr),
    host: O.none,
  })
}

/**
 * Parses `info ramblock` text into a RAM list in the printed (list) order. Blocks whose
 * used and total lengths differ are marked resizeable; the text says nothing else of
 * flags. Every malformed line, duplicate name or overlapping block is a {@link TextError}
 * with its line and column.
 *
 * @example
 * import { infoRamblock } from 'ramaddr'
 * import { either } from 'fp-ts'
 * const text =
 *   '              Block Name    PSize              Offset               Used              Total\r\n' +
 *   '                  pc.ram    4 KiB  0x0000000000000000 0x0000000008000000 0x0000000008000000\r\n'
 * const list = infoRamblock.parse(text)
 * assert.ok(either.isRight(list))
 * assert.equal(list.right.blocks[0]?.maxLength, 0x8000000n)
 * assert.equal(infoRamblock.format()(list.right), text)
 * const bad = infoRamblock.parse(text.replace('0x0000000008000000 0x', '0x00000000080zz000 0x'))
 * assert.ok(either.isLeft(bad))
 * assert.equal(bad.left.line, 2)
 * assert.equal(bad.left.column, 68)
 */
export const parse = (text: string): E.Either<TextError, RamList> => {
  const { lines } = splitLines(text)
  if (lines.length === 0) return E.left(at(1, 1, 'the info ramblock header', ''))
  const header = lines[0] ?? ''
  if (header !== HEADER) {
    let col = 0
    while (col < header.length && header[col] === HEADER[col]) col++
    return E.left(at(1, col + 1, 'the info ramblock header', header.slice(col)))
  }
  const blocks: RAMBlock[] = []
  for (let i = 1; i < lines.length; i++) {
    const row = parseRow(i + 1, lines[i] ?? '')
    if (E.isLeft(row)) return row
    const b = row.right
    const clash = blocks.find(
      (o) =>
        o.idstr === b.idstr ||
        (b.offset < o.offset + o.maxLength && o.offset < b.offset + b.maxLength),
    )
    if (clash !== undefined)
      return E.left(
        at(
          i + 1,
          1,
          clash.idstr === b.idstr
            ? `a RAMBlock name not seen before (${b.idstr} is repeated)`
            : `a block that does not overlap ${clash.idstr}`,
          lines[i] ?? '',
        ),
      )
    blocks.push(b)
  }
  return E.right({ blocks, targetPageSize: PAGE_4K, hostPageSize: PAGE_4K })
}
