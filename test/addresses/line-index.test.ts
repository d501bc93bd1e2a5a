// lineIndex finds the lines splitLines gives (the same count, each line the same text),
// without a string per line: checked against splitLines on texts of line endings (\n,
// \r\n, a lone \r, none at the end), blank lines and byte-order marks.
import { describe, expect } from 'vitest'
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
})
