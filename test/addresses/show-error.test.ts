// errors.showError: any value as one line, following `cause`, never throwing.
import { describe, expect, it } from 'vitest'
import { fc, test as fcTest } from '@fast-check/vitest'
import { flattenLines, showError } from '../../src/addresses/show-error.js'

describe('showError', () => {
  it('joins the messages of a cause chain, outermost first', () => {
    const e = {
      _tag: 'DumpError',
      message: 'info mtree -f',
      cause: { _tag: 'TextError', message: 'line 3, column 5: expected a hex digit, found "zz"' },
    }
    expect(showError(e)).toBe('info mtree -f: line 3, column 5: expected a hex digit, found "zz"')
  })
  it('does not repeat a cause whose message the outer message already holds', () => {
    const inner = { _tag: 'TextError', message: 'line 1, column 1: expected x, found "y"' }
    const outer = { _tag: 'DumpError', message: `mtree.txt: ${inner.message}`, cause: inner }
    expect(showError(outer)).toBe('mtree.txt: line 1, column 1: expected x, found "y"')
  })
  it('stops at a cycle of causes and after 16 links', () => {
    const a: { _tag: string; message: string; cause?: unknown } = { _tag: 'A', message: 'a' }
    const b = { _tag: 'B', message: 'b', cause: a }
    a.cause = b
    expect(showError(a)).toBe('a: b')
    let chain: unknown = { message: 'm0' }
    for (let i = 1; i < 100; i++) chain = { message: `m${i}`, cause: chain }
    expect(showError(chain).split(': ')).toHaveLength(16)
  })
  it('prints a value with no message as bounded JSON, and line breaks as spaces', () => {
    expect(showError({ n: 1n })).toBe('{"n":0x1}')
    expect(showError('two\nlines')).toBe('two lines')
    expect(showError(undefined)).toBe('')
    expect(showError({ _tag: 'OnlyATag' })).toBe('OnlyATag')
  })
  fcTest.prop([fc.anything({ withBigInt: true, withMap: true, withSet: true, maxDepth: 6 })])(
    'never throws, and gives one line, whatever the value',
    (u) => {
      const line = showError(u)
      expect(typeof line).toBe('string')
      expect(line).not.toMatch(/[\r\n]/)
    },
  )
  it('a 100,000-deep value costs no more than its prefix', () => {
    let deep: unknown = []
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(showError(deep).length).toBeLessThan(64)
  })
})

describe('flattenLines', () => {
  // the regex the one-pass loop replaced, as the model: fine on short text
  const model = (t: string): string => t.replace(/\s*[\r\n]+\s*/g, ' ')
  const blanky = fc.string({
    unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', '\r', '\u00a0', '\u2028', 'x'),
    maxLength: 40,
  })
  fcTest.prop([blanky], { numRuns: 2000 })(
    'turns each stretch of blanks holding a line break into one space, as the regex does',
    (t) => {
      expect(flattenLines(t)).toBe(model(t))
    },
  )
  it('keeps a long run of blanks with no break after it (a line of a pasted dump)', () => {
    const t = `a\n${' '.repeat(200_000)}b`
    expect(flattenLines(t)).toBe('a b')
    const u = `a${' '.repeat(200_000)}b\n`
    expect(flattenLines(u)).toBe(`a${' '.repeat(200_000)}b `)
  })
})
