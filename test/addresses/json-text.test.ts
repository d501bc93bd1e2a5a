// JSON files as ramaddr reads them: whatever JSON.parse accepts comes back as JSON.parse
// answers it, with or without a byte-order mark; a syntax error is placed where an
// independent recursive checker (the model below, the explorer's first one) places it,
// at the line and column a reader counts; no depth of nesting makes it throw.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { parse, syntaxError } from '../../src/addresses/json-text.js'

const parsesOk = (s: string): boolean => {
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

/** The model: a recursive-descent RFC 8259 checker; the offset where JSON stops, or -1. */
const modelErrorAt = (text: string): number => {
  let i = 0
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++
  }
  const fail = (): never => {
    throw i
  }
  const lit = (w: string): void => {
    for (const c of w)
      if (text[i] === c) i++
      else fail()
  }
  const str = (): void => {
    lit('"')
    for (;;) {
      const c = text[i]
      if (c === undefined || c < ' ') fail()
      else if (c === '"') {
        i++
        return
      } else if (c === '\\') {
        i++
        const e = text[i]
        if (e === 'u') {
          i++
          for (let k = 0; k < 4; k++)
            if (/[0-9a-fA-F]/.test(text[i] ?? '')) i++
            else fail()
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++
        else fail()
      } else i++
    }
  }
  const digits = (): void => {
    if (!isDigit(text[i])) fail()
    while (isDigit(text[i])) i++
  }
  const num = (): void => {
    if (text[i] === '-') i++
    if (text[i] === '0') i++
    else digits()
    if (text[i] === '.') {
      i++
      digits()
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++
      if (text[i] === '+' || text[i] === '-') i++
      digits()
    }
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        str()
        ws()
        lit(':')
        value()
        ws()
        if (text[i] !== ',') return lit('}')
        i++
      }
    } else if (c === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      for (;;) {
        value()
        ws()
        if (text[i] !== ',') return lit(']')
        i++
      }
    } else if (c === '"') str()
    else if (c === 't') lit('true')
    else if (c === 'f') lit('false')
    else if (c === 'n') lit('null')
    else if (c === '-' || isDigit(c)) num()
    else fail()
  }
  try {
    value()
    ws()
    return i < text.length ? i : -1
  } catch (at) {
    if (typeof at !== 'number') throw at
    return at
  }
}

/** Line and column of an offset as a reader counts them (1-based), character by character. */
const lineColumn = (s: string, offset: number): { line: number; column: number } => {
  let line = 1
  let column = 1
  for (const c of s.slice(0, offset).split(''))
    if (c === '\n') {
      line++
      column = 1
    } else column++
  return { line, column }
}

const jsonish = fc
  .array(fc.constantFrom(...'{}[],:"\\ 0123.eE-+tfnulx\n\r\tu;a/\u00a0'.split('')), {
    maxLength: 24,
  })
  .map((cs) => cs.join(''))

describe('json-text', () => {
  test.prop([fc.jsonValue(), fc.constantFrom(0, 1, 2), fc.boolean()])(
    'JSON comes back as JSON.parse reads it, with or without a byte-order mark',
    (v, indent, bom) => {
      const s = JSON.stringify(v, null, indent)
      expect(syntaxError(s)).toBeUndefined()
      expect(parse((bom ? '\ufeff' : '') + s)).toEqual(E.right(JSON.parse(s)))
    },
  )
  test.prop([fc.jsonValue()])('each prefix of JSON is JSON or only ends too soon', (v) => {
    const s = JSON.stringify(v, null, 1)
    for (let k = 0; k < s.length; k++) {
      const e = syntaxError(s.slice(0, k))
      expect(e === undefined || e.offset === k).toBe(true)
    }
  })
  test.prop([jsonish], { numRuns: 2000 })(
    'the error is where the recursive model puts it, and JSON is what JSON.parse accepts',
    (s) => {
      const e = syntaxError(s)
      expect(e?.offset ?? -1).toBe(modelErrorAt(s))
      expect(e === undefined).toBe(parsesOk(s))
    },
  )
  test.prop(
    [
      fc.jsonValue(),
      fc.nat(),
      fc.constantFrom(...'{}[],:"\\ 0123.eE-+tfnulx\n;a/'.split('')),
      fc.boolean(),
    ],
    { numRuns: 2000 },
  )(
    'one character of JSON replaced or inserted: the model and JSON.parse agree',
    (v, k, c, insert) => {
      const j = JSON.stringify(v, null, 1)
      const at = j.length === 0 ? 0 : k % j.length
      const s = j.slice(0, at) + c + j.slice(insert ? at : at + 1)
      const e = syntaxError(s)
      expect(e?.offset ?? -1).toBe(modelErrorAt(s))
      expect(e === undefined).toBe(parsesOk(s))
    },
  )
  test.prop([jsonish, fc.boolean()], { numRuns: 1000 })(
    'a syntax error is a TextError at the line and column a reader counts',
    (s, bom) => {
      const r = parse((bom ? '\ufeff' : '') + s)
      if (parsesOk(s)) expect(E.isRight(r)).toBe(true)
      else expect(r).toMatchObject(E.left(lineColumn(s, modelErrorAt(s))))
    },
  )
  it.each([
    ['[1, 2,, 3]', 'line 1, column 7: expected a JSON value, found ", 3]"'],
    ['{\n  "a": }', 'line 2, column 8: expected a JSON value, found "}"'],
    ['{"a": 1\r\n  "b": 2}', 'line 2, column 3: expected \',\' or \'}\', found "\\"b\\": 2}"'],
    ['[tru]', 'line 1, column 5: expected a JSON value, found "]"'],
    ['["a\\q"]', 'line 1, column 5: expected an escape (one of "\\/bfnrtu), found "q\\"]"'],
    ['{"a" 1}', 'line 1, column 6: expected \':\', found "1}"'],
    ['[1] x', 'line 1, column 5: expected the end of the text, found "x"'],
    ['', 'line 1, column 1: expected a JSON value, found end of line'],
    ['\ufeff', 'line 1, column 1: expected a JSON value, found end of line'],
  ])('%j: %s', (text, message) => {
    const r = parse(text)
    expect(E.isLeft(r) && r.left.message).toBe(message)
  })
  it('a second byte-order mark is an error, shown escaped rather than invisible', () => {
    const r = parse('\ufeff\ufeff[]')
    expect(E.isLeft(r) && r.left.message).toBe(
      'line 1, column 1: expected a JSON value, found "\\ufeff[]"',
    )
  })
  it('nesting of any depth: no throw, the error at the end or the value', () => {
    const open = parse('['.repeat(1_000_000))
    expect(E.isLeft(open) && [open.left.line, open.left.column]).toEqual([1, 1_000_001])
    expect(syntaxError('['.repeat(300_000) + ']'.repeat(300_000))).toBeUndefined()
    const objects = parse('{"a":'.repeat(300_000) + '1' + '}'.repeat(299_999))
    expect(E.isLeft(objects) && objects.left.column).toBe(300_000 * 5 + 1 + 299_999 + 1)
  })
})
