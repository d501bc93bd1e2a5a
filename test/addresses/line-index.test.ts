// lineIndex finds the lines splitLines gives (the same count, each line the same text),
// without a string per line: checked against splitLines on texts of line endings (\n,
// \r\n, a lone \r, none at the end), blank lines and byte-order marks.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { lineAt, lineIndex, splitLines } from '../../src/addresses/text-error.js'

const text = fc
  .array(fc.constantFrom('a', 'bc', ' ', '\n', '\r\n', '\r', '\ufeff', '\n\n'), { maxLength: 20 })
  .map((p) => p.join(''))

describe('lineIndex', () => {
  test.prop([text])('has the lines of splitLines', (t) => {
    const ix = lineIndex(t)
    const lines = Array.from({ length: ix.count }, (_, i) => lineAt(ix, i))
    expect(lines).toEqual(splitLines(t).lines)
  })
  // both read the text through one helper, so the property above cannot see a fault in it
  it('drops a leading byte-order mark (only a leading one) and the final line ending', () => {
    expect(splitLines('\ufeffa\r\n\ufeffb\r\n')).toEqual({
      lines: ['a', '\ufeffb'],
      eol: '\r\n',
      finalEol: true,
    })
    const ix = lineIndex('\ufeffa\n\ufeffb\n')
    expect([ix.count, lineAt(ix, 0), lineAt(ix, 1)]).toEqual([2, 'a', '\ufeffb'])
  })
})
