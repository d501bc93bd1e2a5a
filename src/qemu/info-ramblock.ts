/**
 * `info ramblock` as QEMU prints it (`ram_block_format`, softmmu/physmem.c; from 8.0
 * with two more columns, see {@link RamblockDialect}): a header, then one row per
 * RAMBlock in RAM-list order. Each row is the idstr
 * right-aligned in 24 columns (longer names overflow), a space, the page size from
 * `size_to_str` right-aligned in 8, two spaces, then `0x` and 16 lowercase hex digits for
 * offset, used length and max length, separated by single spaces. HMP ends lines with
 * `\r\n`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Hva, RamAddr, Size } from '../addresses/kinds.js'
import { PAGE_4K, type PageSize } from '../addresses/page.js'
import { TWO_64 } from '../addresses/u64.js'
import { NO_FLAGS, regionNameOf, type RAMBlock } from '../ramblock/ramblock.js'
import type { RamList } from '../ramblock/ram-list.js'
import { parsePowerOfTwoSize, sizeToStr } from './size-to-str.js'
import { at, splitLines, type TextError } from '../addresses/text-error.js'
import { dedent, isElision, isPrompt, normalise } from './paste.js'

/**
 * The dialects of `info ramblock`, told apart by the header (see `docs/dumps.md`):
 * - `'classic'`: `Block Name`, `PSize`, `Offset`, `Used`, `Total` (QEMU 2.10 to 7.2;
 *   `hmp_info_ramblock` and `ram_block_dump`, commit be9b23c4a539);
 * - `'hva-ro'`: the same, then `HVA` (the host address of the block's first byte,
 *   `block->host`) and `RO` (`ro` when the block's region is read-only, `mr->readonly`,
 *   else `rw`), QEMU 8.0 on (`ram_block_format`, commit dbc6ae9c3b59).
 */
export type RamblockDialect = 'classic' | 'hva-ro'

/** The header line of the classic dialect, without its line ending. */
export const HEADER = `${'Block Name'.padStart(24)} ${'PSize'.padStart(8)}  ${'Offset'.padStart(18)} ${'Used'.padStart(18)} ${'Total'.padStart(18)}`

/** The header line of the `hva-ro` dialect. */
export const HEADER_HVA_RO = `${HEADER} ${'HVA'.padStart(18)} ${'RO'.padStart(3)}`

/** The header of a dialect. */
export const headerOf = (dialect: RamblockDialect): string =>
  dialect === 'classic' ? HEADER : HEADER_HVA_RO

const hex18 = (n: bigint): string => '0x' + n.toString(16).padStart(16, '0')

/**
 * One row, without its line ending. In the `hva-ro` dialect a block whose host address is
 * not known prints `?` in the `HVA` column (QEMU always knows it; the parser reads `?`
 * back as unknown).
 */
export const formatRow =
  (dialect: RamblockDialect = 'classic') =>
  (b: RAMBlock): string => {
    const classic = `${b.idstr.padStart(24)} ${sizeToStr(b.pageSize).padStart(8)}  ${hex18(b.offset)} ${hex18(b.usedLength)} ${hex18(b.maxLength)}`
    if (dialect === 'classic') return classic
    const hva = O.isSome(b.host) ? hex18(b.host.value) : '?'.padStart(18)
    return `${classic} ${hva} ${(b.flags.readonly ? 'ro' : 'rw').padStart(3)}`
  }

/** How to print. */
export interface FormatOptions {
  /** Line ending: `\r\n` as HMP prints (the default), or `\n`. */
  readonly eol?: '\r\n' | '\n'
  /** The dialect (default `'classic'`). */
  readonly dialect?: RamblockDialect
}

/**
 * The RAM list as `info ramblock` prints it, blocks in list order.
 *
 * @example
 * import { infoRamblock, ramblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(ramblock.empty(), ramblock.add({ idstr: 'pc.ram', usedLength: 0x8000000n }))
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
    const dialect = options.dialect ?? 'classic'
    return [headerOf(dialect), ...list.blocks.map(formatRow(dialect))].map((l) => l + eol).join('')
  }

/** Columns after the name: " " + psize(8) + "  " + 3 × 18 + 2 separators. */
const TAIL = 1 + 8 + 2 + 18 + 1 + 18 + 1 + 18
/** The `hva-ro` dialect's two more columns: " " + HVA(18) + " " + RO(3). */
const TAIL_HVA_RO = 1 + 18 + 1 + 3

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
const parseRow = (
  lineNo: number,
  line: string,
  dialect: RamblockDialect,
): E.Either<TextError, RAMBlock> => {
  const tail = TAIL + (dialect === 'hva-ro' ? TAIL_HVA_RO : 0)
  if (line.length < 24 + tail)
    return E.left(
      at(
        lineNo,
        line.length + 1,
        dialect === 'classic'
          ? 'a RAMBlock row: name (24 columns), page size, offset, used and total'
          : 'a RAMBlock row: name (24 columns), page size, offset, used, total, HVA and RO',
        '',
      ),
    )
  const nameEnd = line.length - tail
  const nameField = line.slice(0, nameEnd)
  // an all-blank name is a block no device has named yet (a memory backend's before
  // `vmstate_register_ram`): QEMU prints its empty idstr as 24 spaces
  const idstr = nameField.replace(/^ +/, '')
  if (idstr.padStart(24) !== nameField)
    return E.left(at(lineNo, 1, 'the name right-aligned in 24 columns', nameField))
  return parseRowTail(lineNo, line, nameEnd, idstr, dialect)
}

/**
 * A page-size column (`   4 KiB`) as bytes, if it is one QEMU prints: a dump has a handful
 * of distinct ones, so each is read and checked once (formatting a size back is the costly
 * part of the check, and a dump can have 100,000s of rows).
 */
const PAGE_SIZE_FIELDS = new Map<string, O.Option<PageSize>>()
const pageSizeField = (field: string): O.Option<PageSize> => {
  const known = PAGE_SIZE_FIELDS.get(field)
  if (known !== undefined) return known
  const ps = parsePowerOfTwoSize(field.replace(/^ +/, ''))
  const ok =
    O.isSome(ps) && sizeToStr(ps.value).padStart(8) === field
      ? O.some(ps.value as PageSize)
      : O.none
  // bounded: garbage fields are not remembered past a few hundred
  if (PAGE_SIZE_FIELDS.size < 256) PAGE_SIZE_FIELDS.set(field, ok)
  return ok
}

const parseRowTail = (
  lineNo: number,
  line: string,
  nameEnd: number,
  idstr: string,
  dialect: RamblockDialect,
): E.Either<TextError, RAMBlock> => {
  let c = nameEnd
  const sp1 = expectSpaces(lineNo, line, c, 1, 'page size')
  if (E.isLeft(sp1)) return sp1
  c += 1
  const psField = line.slice(c, c + 8)
  const ps = pageSizeField(psField)
  if (O.isNone(ps))
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
  c += 18
  let host: O.Option<Hva> = O.none
  let readonly = false
  if (dialect === 'hva-ro') {
    const sp5 = expectSpaces(lineNo, line, c, 1, 'HVA')
    if (E.isLeft(sp5)) return sp5
    c += 1
    if (line.slice(c, c + 18) !== '?'.padStart(18)) {
      const hva = parseHexField(lineNo, line, c, 'HVA')
      if (E.isLeft(hva)) return hva
      host = O.some(hva.right as Hva)
    }
    c += 18
    const ro = line.slice(c)
    if (ro !== '  ro' && ro !== '  rw')
      return E.left(at(lineNo, c + 1, '" ro" or " rw" after a space (the RO column)', ro))
    readonly = ro === '  ro'
  }
  return E.right({
    idstr,
    offset: offset.right as RamAddr,
    usedLength: used.right as Size,
    maxLength: max.right as Size,
    pageSize: ps.value as PageSize,
    flags: { ...NO_FLAGS, resizeable: used.right !== max.right, readonly },
    mr: regionNameOf(idstr),
    host,
  })
}

/**
 * A row whose columns a paste has moved (spaces collapsed by a mail client or a web page,
 * leading spaces stripped, tabs), laid out again as QEMU prints it: the same tokens (name,
 * page size, three `0x` + 16-digit fields, and HVA and RO in the `hva-ro` dialect) with
 * QEMU's widths. None when the tokens are not all there: a digit lost or a field cut is
 * never guessed at.
 */
const realign = (line: string, dialect: RamblockDialect): O.Option<string> => {
  // the tokens, read from the right (a regex over the whole row backtracked quadratically on
  // long runs of spaces); the name is what is left of the row before the page size
  const toks = [...line.matchAll(/\S+/g)]
  let k = toks.length
  const next = (): string => (k > 0 ? ((toks[--k] as RegExpMatchArray)[0] ?? '') : '')
  const ro = dialect === 'hva-ro' ? next() : 'rw'
  const hva = dialect === 'hva-ro' ? next() : '?'
  const total = next()
  const used = next()
  const offset = next()
  if (
    (ro !== 'ro' && ro !== 'rw') ||
    (hva !== '?' && !HEX_FIELD.test(hva)) ||
    ![total, used, offset].every((x) => HEX_FIELD.test(x))
  )
    return O.none
  const last = next()
  const whole = /^(\d+(?:\.\d+)?)([KMGTPE]iB|B)$/.exec(last)
  const unit = whole === null ? last : (whole[2] ?? '')
  const num = whole === null ? next() : (whole[1] ?? '')
  if (!/^(?:[KMGTPE]iB|B)$/.test(unit) || !/^\d+(?:\.\d+)?$/.test(num)) return O.none
  // the name: from the first token to the end of the last one left of the page size
  const lastOfName = k > 0 ? toks[k - 1] : undefined
  const name =
    lastOfName === undefined
      ? ''
      : line.slice(toks[0]?.index ?? 0, (lastOfName.index ?? 0) + lastOfName[0].length)
  const classic = `${name.padStart(24)} ${`${num} ${unit}`.padStart(8)}  ${offset} ${used} ${total}`
  return O.some(dialect === 'classic' ? classic : `${classic} ${hva.padStart(18)}  ${ro}`)
}

/** A `0x` and 16 lowercase hex digits, as QEMU prints each address column. */
const HEX_FIELD = /^0x[0-9a-f]{16}$/

/** A parsed `info ramblock`: the RAM list and the dialect it was printed in. */
export interface RamblockDump {
  readonly list: RamList
  readonly dialect: RamblockDialect
}

/** A header line with any spacing (a paste may collapse or strip spaces, or use tabs). */
const LOOSE_HEADER = /^\s*Block\s+Name\s+PSize\s+Offset\s+Used\s+Total(\s+HVA\s+RO)?\s*$/

/** The dialect a header line announces, or where it stops matching any. */
const readHeader = (
  lineNo: number,
  header: string,
  shift: number,
): E.Either<TextError, RamblockDialect> => {
  if (header === HEADER) return E.right('classic')
  if (header === HEADER_HVA_RO) return E.right('hva-ro')
  let col = 0
  while (col < header.length && header[col] === HEADER_HVA_RO[col]) col++
  return E.left(
    at(
      lineNo,
      col + shift + 1,
      col >= HEADER.length
        ? 'the info ramblock header (ending after "Total", or with "HVA  RO")'
        : 'the info ramblock header',
      header.slice(col),
    ),
  )
}

/**
 * Parses `info ramblock` text of either dialect (told by its header) into a RAM list in
 * the printed (list) order, and says which dialect it was. Blocks whose used and total
 * lengths differ are marked resizeable; in the `hva-ro` dialect each block gets its host
 * address and its `RO` column as `flags.readonly`. A blank name is a block no device has
 * named yet (a memory backend's before a device registers it, `vmstate_register_ram`):
 * its idstr is `''`, and several may be blank. Every malformed line, repeated name or
 * overlapping block is a {@link TextError} with its line and column. Linear in the
 * number of rows, bar one sort for the overlap check.
 *
 * @example
 * import { infoRamblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const text =
 *   '              Block Name    PSize              Offset               Used              Total                HVA  RO\n' +
 *   '                  pc.ram    4 KiB  0x0000000000000000 0x0000000020000000 0x0000000020000000 0x00007f039be00000  rw\n' +
 *   '                 pc.bios    4 KiB  0x0000000020000000 0x0000000000040000 0x0000000000040000 0x00007f0408e00000  ro\n'
 * const dump = infoRamblock.parseDump(text)
 * assert.ok(either.isRight(dump))
 * assert.equal(dump.right.dialect, 'hva-ro')
 * assert.deepEqual(dump.right.list.blocks[1]?.host, option.some(0x7f0408e00000n))
 * assert.equal(dump.right.list.blocks[1]?.flags.readonly, true)
 * assert.equal(infoRamblock.format({ eol: '\n', dialect: 'hva-ro' })(dump.right.list), text)
 */
export const parseDump = (text: string): E.Either<TextError, RamblockDump> => {
  const raw = splitLines(text).lines
  if (raw.length === 0) return E.left(at(1, 1, 'the info ramblock header', ''))
  // a paste: a prompt or text before the header, a code block's indentation (the header
  // says how much), elisions and prompts among the rows; line numbers stay the text's
  const lines = raw.map(normalise)
  const found = lines.findIndex((l) => LOOSE_HEADER.test(l))
  const h = found < 0 ? 0 : found
  const headerText = lines[h] ?? ''
  const want = headerText.endsWith(' RO') ? HEADER_HVA_RO : HEADER
  const shift = found >= 0 && headerText.length > want.length ? headerText.length - want.length : 0
  const exact = readHeader(h + 1, dedent(headerText, shift), shift)
  // a header whose spacing a paste changed still names the columns (no line matched: null)
  const loose = LOOSE_HEADER.exec(headerText)
  const dialectE: E.Either<TextError, RamblockDialect> =
    E.isRight(exact) || loose === null
      ? exact
      : E.right(loose[1] === undefined ? 'classic' : 'hva-ro')
  if (E.isLeft(dialectE)) return dialectE
  const dialect = dialectE.right
  const blocks: RAMBlock[] = []
  const byName = new Map<string, number>()
  const rowLine: number[] = []
  for (let i = h + 1; i < lines.length; i++) {
    const l = lines[i] ?? ''
    if (isElision(l) || isPrompt(l)) continue
    if (l.trim() === '') {
      // the table ends at a blank line; rows after one mean a row was lost there
      const next = lines.slice(i + 1).findIndex((x) => /0x[0-9a-f]{16}/.test(x))
      if (next < 0) break
      return E.left(at(i + 1, 1, 'a RAMBlock row (the rows go on below)', l))
    }
    const strict = parseRow(i + 1, dedent(l, shift), dialect)
    const row: E.Either<TextError, RAMBlock> = E.isRight(strict)
      ? strict
      : pipe(
          realign(l, dialect),
          O.map((r) => parseRow(i + 1, r, dialect)),
          O.chain(O.fromPredicate(E.isRight)),
          O.getOrElse((): E.Either<TextError, RAMBlock> => strict),
        )
    if (E.isLeft(row)) return row
    const b = row.right
    // a name is unique (`qemu_ram_set_idstr` aborts on a repeat); the empty one is not
    if (b.idstr !== '' && byName.has(b.idstr))
      return E.left(
        at(i + 1, 1, `a RAMBlock name not seen before (${b.idstr} is repeated)`, lines[i] ?? ''),
      )
    byName.set(b.idstr, i)
    blocks.push(b)
    rowLine.push(i + 1)
  }
  // overlaps: sweep in offset order; report the later line of the first clash in text order
  const order = blocks
    .map((_, i) => i)
    .sort((a, b) => {
      const x = blocks[a] as RAMBlock
      const y = blocks[b] as RAMBlock
      return x.offset < y.offset ? -1 : x.offset > y.offset ? 1 : a - b
    })
  let clash: { line: number; other: string } | undefined
  let reach = -1
  for (const i of order) {
    const b = blocks[i] as RAMBlock
    const prev = reach < 0 ? undefined : (blocks[reach] as RAMBlock)
    if (prev !== undefined && b.offset < prev.offset + prev.maxLength) {
      const later = Math.max(i, reach)
      const earlier = Math.min(i, reach)
      const line = rowLine[later] ?? 0
      if (clash === undefined || line < clash.line)
        clash = { line, other: (blocks[earlier] as RAMBlock).idstr }
    }
    if (prev === undefined || b.offset + b.maxLength > prev.offset + prev.maxLength) reach = i
  }
  if (clash !== undefined)
    return E.left(
      at(
        clash.line,
        1,
        `a block that does not overlap ${clash.other}`,
        lines[clash.line - 1] ?? '',
      ),
    )
  return E.right({ list: { blocks, targetPageSize: PAGE_4K, hostPageSize: PAGE_4K }, dialect })
}

/**
 * Parses `info ramblock` text (either dialect) into a RAM list; {@link parseDump} also
 * says which dialect it was.
 *
 * @example
 * import { infoRamblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
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
export const parse = (text: string): E.Either<TextError, RamList> =>
  E.map((d: RamblockDump) => d.list)(parseDump(text))
