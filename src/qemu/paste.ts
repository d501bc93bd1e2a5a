/**
 * What a pasted monitor dump carries besides the dump: a monitor or shell prompt line
 * (`(qemu) info mtree`), elisions (`...`, `(etc)`), a common indentation added by a
 * Markdown code block or a mail quote, non-breaking spaces from a web page, trailing
 * blanks. The parsers skip these line by line, so every error still names the line and
 * column of the text as given.
 *
 * @module
 */

/** Whether a line is a monitor, debugger or shell prompt (`(qemu) info mtree -f`). */
export const isPrompt = (line: string): boolean =>
  /^\s*(?:\S*[#$>]\s+)?\((?:qemu|QEMU|gdb)\)/.test(line)

/** Whether a line stands for lines left out (`...`, `…`, `(etc)`, `[snip]`). */
export const isElision = (line: string): boolean =>
  /^\s*(?:(?:\.{3,}|…)(?:\s+(?:\.{3,}|…))*|\(etc\.?\)|\[\.{3}\]|\[?<?snip>?\]?|\.\.\.\s*\(.*\))\s*$/i.test(
    line,
  )

/** A line with non-breaking spaces made spaces and trailing blanks removed. */
export const normalise = (line: string): string => {
  const last = line.charCodeAt(line.length - 1)
  if (line.indexOf('\u00a0') < 0 && last !== 32 && last !== 9 && last !== 13) return line
  return line.replace(/\u00a0/g, ' ').trimEnd()
}

/**
 * The indentation a paste added to every line: the leading spaces of the first line
 * `anchor` accepts once they are taken away (none when that line is not indented).
 *
 * @example
 * import * as paste from 'ramaddr/internal/qemu/paste'
 * assert.equal(paste.addedIndent(['    (qemu) info mtree', '    address-space: memory'], (l) => l.startsWith('address-space:')), 4)
 */
export const addedIndent = (lines: Iterable<string>, anchor: (line: string) => boolean): number => {
  for (const raw of lines) {
    const l = normalise(raw)
    const body = l.trimStart()
    if (anchor(body)) return l.length - body.length
  }
  return 0
}

/** `line` without `n` leading spaces, when it has them; else unchanged. */
export const dedent = (line: string, n: number): string =>
  n > 0 && line.startsWith(' '.repeat(n)) ? line.slice(n) : line
