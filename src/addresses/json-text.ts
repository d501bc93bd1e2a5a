/**
 * JSON files as ramaddr reads them (a `--tuples` list, a Xen scenario, a `ramaddr qmp`
 * export): RFC 8259 text, with a leading byte-order mark ignored (RFC 8259 section 8.1
 * lets a parser ignore one, and editors on Windows write one), and a syntax error placed
 * at its line and column with what was expected there, which the engine's own message
 * does not say.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { at, type TextError } from './text-error.js'

/** Where a text stops being JSON and what was expected there. */
export interface JsonSyntaxError {
  /** Offset (UTF-16 code units) of the first character that cannot continue JSON. */
  readonly offset: number
  /** What JSON needed at that offset. */
  readonly expected: string
}

const ARRAY = 0
const OBJECT = 1
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean =>
  isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

/** The offset past JSON whitespace (space, tab, line feed, carriage return) from `i`. */
const skipWs = (s: string, i: number): number => {
  for (;;) {
    const c = s.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i
    i++
  }
}

/** The offset past a string starting at `i` (a `"`), or the error inside it. */
const skipString = (s: string, i: number): number | JsonSyntaxError => {
  i++
  for (;;) {
    const c = s.charCodeAt(i)
    if (Number.isNaN(c)) return { offset: i, expected: 'the rest of a string' }
    if (c === 0x22) return i + 1
    if (c < 0x20) return { offset: i, expected: 'a character (control characters are escaped)' }
    if (c !== 0x5c) {
      i++
      continue
    }
    const e = s.charCodeAt(i + 1)
    if (e === 0x75) {
      for (let k = 0; k < 4; k++)
        if (!isHex(s.charCodeAt(i + 2 + k)))
          return { offset: i + 2 + k, expected: 'a hex digit of a \\u escape' }
      i += 6
    } else if ('"\\/bfnrt'.includes(s.charAt(i + 1)) && !Number.isNaN(e)) i += 2
    else return { offset: i + 1, expected: 'an escape (one of "\\/bfnrtu)' }
  }
}

/** The offset past a number starting at `i` (a `-` or a digit), or its error. */
const skipNumber = (s: string, i: number): number | JsonSyntaxError => {
  const digits = (j: number): number | JsonSyntaxError => {
    if (!isDigit(s.charCodeAt(j))) return { offset: j, expected: 'a digit' }
    while (isDigit(s.charCodeAt(j))) j++
    return j
  }
  if (s.charCodeAt(i) === 0x2d) i++
  let r: number | JsonSyntaxError = s.charCodeAt(i) === 0x30 ? i + 1 : digits(i)
  if (typeof r !== 'number') return r
  if (s.charCodeAt(r) === 0x2e) {
    r = digits(r + 1)
    if (typeof r !== 'number') return r
  }
  const e = s.charCodeAt(r)
  if (e === 0x65 || e === 0x45) {
    let j = r + 1
    const sign = s.charCodeAt(j)
    if (sign === 0x2b || sign === 0x2d) j++
    r = digits(j)
  }
  return r
}

/**
 * Where `text` stops being JSON (RFC 8259) and what was expected there, or `undefined`
 * when it is JSON. A text that only ends too soon fails at its length. It walks the text
 * once with a stack of open brackets (no recursion), so nesting of any depth is checked.
 *
 * @example
 * import * as jsonText from 'ramaddr/internal/addresses/json-text'
 * assert.equal(jsonText.syntaxError('[1, {"a": true}]'), undefined)
 * assert.deepEqual(jsonText.syntaxError('[1, 2,, 3]'), { offset: 6, expected: 'a JSON value' })
 * assert.deepEqual(jsonText.syntaxError('{"a": 1'), { offset: 7, expected: "',' or '}'" })
 */
export const syntaxError = (text: string): JsonSyntaxError | undefined => {
  const open: number[] = []
  let i = 0
  // each turn reads one value, then closes what it completes
  for (;;) {
    i = skipWs(text, i)
    const c = text.charCodeAt(i)
    let next: number | JsonSyntaxError
    if (c === 0x7b || c === 0x5b) {
      const j = skipWs(text, i + 1)
      const close = c === 0x7b ? 0x7d : 0x5d
      if (text.charCodeAt(j) === close) next = j + 1
      else {
        open.push(c === 0x7b ? OBJECT : ARRAY)
        if (c === 0x5b) {
          i = j
          continue
        }
        next = key(text, j)
        if (typeof next !== 'number') return next
        i = next
        continue
      }
    } else if (c === 0x22) next = skipString(text, i)
    else if (c === 0x2d || isDigit(c)) next = skipNumber(text, i)
    else if (text.startsWith('true', i)) next = i + 4
    else if (text.startsWith('false', i)) next = i + 5
    else if (text.startsWith('null', i)) next = i + 4
    else return { offset: literalEnd(text, i), expected: 'a JSON value' }
    if (typeof next !== 'number') return next
    i = next
    // close every container this value completes, then step past one comma
    for (;;) {
      i = skipWs(text, i)
      const top = open[open.length - 1]
      if (top === undefined)
        return i < text.length ? { offset: i, expected: 'the end of the text' } : undefined
      const d = text.charCodeAt(i)
      if (d === 0x2c) {
        if (top === ARRAY) {
          i++
          break
        }
        const k = key(text, skipWs(text, i + 1))
        if (typeof k !== 'number') return k
        i = k
        break
      }
      if (d === (top === ARRAY ? 0x5d : 0x7d)) {
        open.pop()
        i++
        continue
      }
      return { offset: i, expected: top === ARRAY ? "',' or ']'" : "',' or '}'" }
    }
  }
}

/** The offset past an object key and its colon, from `i` (at the key's quote). */
const key = (s: string, i: number): number | JsonSyntaxError => {
  if (s.charCodeAt(i) !== 0x22) return { offset: i, expected: 'a string (an object key)' }
  const r = skipString(s, i)
  if (typeof r !== 'number') return r
  const j = skipWs(s, r)
  return s.charCodeAt(j) === 0x3a ? j + 1 : { offset: j, expected: "':'" }
}

/** Where a misspelt literal goes wrong: the first character that no literal continues. */
const literalEnd = (s: string, i: number): number => {
  let best = i
  for (const w of ['true', 'false', 'null']) {
    let k = 0
    while (k < w.length && s.charCodeAt(i + k) === w.charCodeAt(k)) k++
    if (i + k > best) best = i + k
  }
  return best
}

/**
 * Parses a JSON file's text: a leading byte-order mark is ignored; a syntax error is a
 * {@link TextError} at its line and column (1-based, counted after the mark), saying what
 * JSON needed there. Never throws, whatever the nesting depth.
 *
 * @example
 * import * as jsonText from 'ramaddr/internal/addresses/json-text'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(jsonText.parse('\ufeff[{"a": 1}]'), either.right([{ a: 1 }]))
 * const e = jsonText.parse('{\n  "a": }')
 * assert.ok(either.isLeft(e))
 * assert.equal(e.left.message, 'line 2, column 8: expected a JSON value, found "}"')
 */
export const parse = (text: string): E.Either<TextError, unknown> => {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  try {
    return E.right(JSON.parse(body) as unknown)
  } catch (e) {
    const found = syntaxError(body) ?? {
      // the engine refused what the checker accepts: say what the engine said, at the start
      offset: 0,
      expected: `JSON (${e instanceof Error ? e.message : String(e)})`,
    }
    const before = body.slice(0, found.offset)
    const line = before.split('\n').length
    const column = found.offset - (before.lastIndexOf('\n') + 1) + 1
    const end = body.indexOf('\n', found.offset)
    const rest = body.slice(found.offset, end < 0 ? undefined : end).replace(/\r$/, '')
    return E.left(at(line, column, found.expected, rest))
  }
}
