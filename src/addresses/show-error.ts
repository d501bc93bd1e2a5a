/**
 * One line for any error of this library, following `cause` links.
 *
 * @module
 */
import { showValue } from './report.js'

/**
 * The shape every error of this library has: a `_tag` naming the case, a one-line
 * `message`, and, where it wraps an error of a lower layer, that error as `cause`.
 */
export interface TaggedError {
  readonly _tag: string
  readonly message: string
  readonly cause?: unknown
}

const MAX_CAUSES = 16

const BLANK = /\s/

/**
 * `text` with its line breaks (and the blanks around them) as single spaces: each stretch
 * of blanks holding a line break becomes one space. One pass over the text (a regex such as
 * `\s*\n\s*` backtracks quadratically over a long run of blanks with no break after it).
 */
export const flattenLines = (text: string): string => {
  const breaks = /[\r\n]/g
  let out = ''
  let from = 0
  for (let m = breaks.exec(text); m !== null; m = breaks.exec(text)) {
    let a = m.index
    while (a > from && BLANK.test(text[a - 1] ?? '')) a--
    let b = m.index + 1
    while (b < text.length && BLANK.test(text[b] ?? '')) b++
    out += text.slice(from, a) + ' '
    from = b
    breaks.lastIndex = b
  }
  return from === 0 && out === '' ? text : out + text.slice(from)
}

const messageOf = (e: unknown): string | undefined => {
  if (typeof e === 'string') return e
  if (typeof e !== 'object' || e === null) return undefined
  const m: unknown = (e as { message?: unknown }).message
  if (typeof m === 'string') return m
  const tag: unknown = (e as { _tag?: unknown })._tag
  return typeof tag === 'string' ? tag : undefined
}

/**
 * Any error value as one line: its message, then each cause's message after `: ` where it
 * adds something (a cause whose message the outer one already contains is not repeated).
 * Never throws, whatever the value: a value with no message prints as bounded JSON
 * (cut after 40 characters); cause chains stop after 16 links and at a cycle; line breaks become
 * spaces.
 *
 * @example
 * import { errors } from 'ramaddr'
 * const inner = { _tag: 'TextError', message: 'line 3, column 5: expected a hex digit, found "zz"' }
 * const outer = { _tag: 'BadDump', message: 'info mtree -f', cause: inner }
 * assert.equal(errors.showError(outer), 'info mtree -f: line 3, column 5: expected a hex digit, found "zz"')
 * assert.equal(errors.showError({ n: 1n }), '{"n":0x1}')
 */
export const showError = (e: unknown): string => {
  const parts: string[] = []
  const seen = new Set<unknown>()
  let cur: unknown = e
  for (let i = 0; i < MAX_CAUSES && cur !== undefined && cur !== null && !seen.has(cur); i++) {
    seen.add(cur)
    const m = messageOf(cur) ?? showValue(cur)
    if (!parts.some((p) => p.includes(m))) parts.push(m)
    cur = typeof cur === 'object' ? (cur as { cause?: unknown }).cause : undefined
  }
  return flattenLines(parts.join(': '))
}
