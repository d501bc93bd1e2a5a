// info ramblock pasted with its spacing changed (runs of spaces collapsed, as copying from
// a rendered web page or a mail client does; leading spaces stripped; tabs): every
// recorded and public dump parses to the same blocks as the text QEMU printed. A lost or
// changed digit is still an error: only spacing is forgiven.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { parseDump } from '../../src/qemu/info-ramblock.js'
import { FIXTURES, editLines, filesUnder } from '../helpers.js'

const dumps = filesUnder(FIXTURES, (n) => /ramblock.*\.txt$/.test(n))
  .map((f) => ({ name: relative(FIXTURES, f), text: readFileSync(f, 'utf8') }))
  .filter((d) => E.isRight(parseDump(d.text)))

/** Changes the spacing of each line as `how` picks: collapse, strip, tabs, or keep. */
const mangle = (text: string, how: ReadonlyArray<number>): string =>
  editLines(text, how, [
    (l) => l.replace(/ +/g, ' '),
    (l) => l.replace(/^ +/, '').replace(/ {2,}/g, '  '),
    (l) => l.replace(/ +/g, '\t'),
    (l) => l,
  ])

describe('info ramblock with its spacing changed by a paste', () => {
  it('has dumps to mangle (recorded and public, both dialects)', () => {
    expect(dumps.length).toBeGreaterThan(100)
    expect(dumps.some((d) => d.text.includes(' HVA '))).toBe(true)
  })

  it('every dump parses to the same blocks and dialect, whatever the spacing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...dumps),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 7 }),
        (d, how) => {
          expect(parseDump(mangle(d.text, how))).toEqual(parseDump(d.text))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a lost digit in a collapsed row is still an error at that row', () => {
    const d = dumps.find((x) => x.name.includes('q35-512m-vga-net/08'))!
    const squeezed = mangle(d.text, [0])
    const lines = squeezed.split('\n')
    lines[1] = (lines[1] ?? '').replace(/0x0000/, '0x000')
    const r = parseDump(lines.join('\n'))
    expect(E.isLeft(r) && r.left.line).toBe(2)
  })
})
