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

const excerpt = (s: string): string => {
  if (s.length === 0) return 'end of line'
  const cut = s.length > 24 ? s.slice(0, 24) + '…' : s
  return JSON.stringify(cut)
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
 * Splits monitor text into lines, accepting `\r\n` and `\n` endings and a leading UTF-8
 * byte-order mark (dropped).
 *
 * @example
 * import * as textError from 'ramaddr/internal/addresses/text-error'
 * assert.deepEqual(textError.splitLines('a\r\nb\r\n'), { lines: ['a', 'b'], eol: '\r\n', finalEol: true })
 */
export const splitLines = (withBom: string): Lines => {
  // a UTF-8 byte-order mark (an editor's, on Windows) is not part of the first line
  const text = withBom.charCodeAt(0) === 0xfeff ? withBom.slice(1) : withBom
  const eol = /\r\n/.test(text) || !/\n/.test(text) ? '\r\n' : '\n'
  const finalEol = text.endsWith('\n')
  const body = finalEol ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text
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
