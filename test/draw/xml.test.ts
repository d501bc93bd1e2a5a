// Escaping for XML: nothing markup-significant survives, and decoding gives the text
// back (with forbidden characters replaced).
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { escapeXml } from '../../src/draw/xml.js'

const decode = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  )

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
const isXmlChar = (cp: number): boolean =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff)

describe('escapeXml', () => {
  test.prop([fc.string({ unit: 'binary', maxLength: 60 })], { numRuns: 1000 })(
    'no <, >, quotes or bare & remain; only XML characters; decodes back',
    (s) => {
      const e = escapeXml(s)
      expect(e).not.toMatch(/[<>"']/)
      expect(e.replace(/&(amp|lt|gt|quot|apos);/g, '')).not.toContain('&')
      for (const ch of e) expect(isXmlChar(ch.codePointAt(0) ?? 0)).toBe(true)
      const want = [...s].map((ch) => (isXmlChar(ch.codePointAt(0) ?? 0) ? ch : '\ufffd')).join('')
      expect(decode(e)).toBe(want)
    },
  )
})
