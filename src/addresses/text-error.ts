/**
 * Errors in QEMU monitor text: where (1-based line and column) and what was expected.
 *
 * @module
 */

/** A position in text and what the parser expected there. */
export interface TextError {
  readonly _tag: 'TextError'
  /** 1-based line number. */
  readonly line: number
  /** 1-based column (in UTF-16 code units). */
  readonly column: number
  /** What the parser wanted at that place. */
  readonly expected: string
  /** A short excerpt of what it found. */
  readonly found: string
  /** `line L, column C: expected …, found …` */
  readonly message: string
}

/**
 * What was found, quoted: at most 24 characters, with characters a reader cannot see (a
 * byte-order mark, other format characters, spaces other than U+0020, C1 controls) shown
 * as `\uXXXX`, as JSON.stringify already shows C0 controls and lone surrogates.
 */
const excerpt = (s: string): string => {
  if (s.length === 0) return 'end of line'
  const cut = s.length > 24 ? s.slice(0, 24) + '…' : s
  return JSON.stringify(cut).replace(/(?! )[\p{Cc}\p{Cf}\p{Z}]/gu, (c) =>
    c.replace(/[^]/g, (u) => '\\u' + u.charCodeAt(0).toString(16).padStart(4, '0')),
  )
}

/**
 * A {@link TextError} at `line`/`column`, where `rest` is the text from that column on.
 *
 * @example
 * import * as textError from 'ramaddr/internal/addresses/text-error'
 * const e = textError.at(3, 5, 'a hex digit', 'zz')
 * assert.equal(e.message, 'line 3, column 5: expected a hex digit, found "zz"')
 */
export const at = (line: number, column: number, expected: string, rest: string): TextError => {
  const found = excerpt(rest)
  return {
    _tag: 'TextError',
    line,
    column,
    expected,
    found,
    message: `line ${line}, column ${column}: expected ${expected}, found ${found}`,
  }
}

/** A text split into lines, with the line ending it uses. */
export interface Lines {
  readonly lines: ReadonlyArray<string>
  /** `\r\n` (HMP output, `monitor_puts` adds `\r`) or `\n`. */
  readonly eol: '\r\n' | '\n'
  /** Whether the text ended with a line ending. */
  readonly finalEol: boolean
}

/**
 * Monitor text without its byte-order mark (`text`), whether it ends with a line ending,
 * and `body`, the text without that final ending: what {@link splitLines} and
 * {@link lineIndex} both split.
 */
const bodyOf = (withBom: string): { text: string; finalEol: boolean; body: string } => {
  // a UTF-8 byte-order mark (an editor's, on Windows) is not part of the first line
  const text = withBom.charCodeAt(0) === 0xfeff ? withBom.slice(1) : withBom
  const finalEol = text.endsWith('\n')
  return { text, finalEol, body: finalEol ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text }
}

/**
 * Splits monitor text into lines, accepting `\r\n` and `\n` endings and a leading UTF-8
 * byte-order mark (dropped).
 *
 * @example
 * import * as textError from 'ramaddr/internal/addresses/text-error'
 * assert.deepEqual(textError.splitLines('a\r\nb\r\n'), { lines: ['a', 'b'], eol: '\r\n', finalEol: true })
 */
export const splitLines = (withBom: string): Lines => {
  const { text, finalEol, body } = bodyOf(withBom)
  const eol = /\r\n/.test(text) || !/\n/.test(text) ? '\r\n' : '\n'
  const lines = body.length === 0 && finalEol ? [''] : body.split('\n')
  return {
    lines:
      text.length === 0
        ? []
        : text.indexOf('\r') < 0
          ? lines
          : lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)),
    eol,
    finalEol,
  }
}

/**
 * The lines of monitor text as {@link splitLines} reads them, without a string per line:
 * where each line starts in the text (for a parser that reads most lines in place, so a
 * dump's lines are not all kept while it is read).
 */
export interface LineIndex {
  /** The text without its byte-order mark and final line ending. */
  readonly body: string
  /** How many lines {@link splitLines} gives. */
  readonly count: number
  /** `starts[i]`: where line `i` (0-based) starts in `body`; `starts[count]` is one past the end. */
  readonly starts: Int32Array
}

/**
 * Indexes the lines of monitor text, as {@link splitLines} splits them.
 *
 * @example
 * import * as textError from 'ramaddr/internal/addresses/text-error'
 * const ix = textError.lineIndex('a\r\nbc\r\n')
 * assert.equal(ix.count, 2)
 * assert.equal(textError.lineAt(ix, 1), 'bc')
 */
export const lineIndex = (withBom: string): LineIndex => {
  const { text, body } = bodyOf(withBom)
  let count = text.length === 0 ? 0 : 1
  if (count > 0) for (let p = body.indexOf('\n'); p >= 0; p = body.indexOf('\n', p + 1)) count++
  const starts = new Int32Array(count + 1)
  let k = 1
  if (count > 0)
    for (let p = body.indexOf('\n'); p >= 0; p = body.indexOf('\n', p + 1)) starts[k++] = p + 1
  starts[count] = body.length + 1
  return { body, count, starts }
}

/** Where line `i` of an index ends in its body (before its `\r`, if it has one). */
export const lineEnd = (ix: LineIndex, i: number): number => {
  const end = (ix.starts[i + 1] as number) - 1
  return end > (ix.starts[i] as number) && ix.body.charCodeAt(end - 1) === 13 ? end - 1 : end
}

/** Line `i` of an index, as {@link splitLines} gives it. */
export const lineAt = (ix: LineIndex, i: number): string =>
  ix.body.slice(ix.starts[i] as number, lineEnd(ix, i))
