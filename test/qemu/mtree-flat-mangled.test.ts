// info mtree -f pasted with its indentation changed (stripped, collapsed with the other runs
// of spaces as copying from a rendered page does, tabs, or one space more per line as a
// format=flowed mail client stuffs it): the view is flat, so every recorded dump reads as
// the text QEMU printed.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { readFileSync } from 'node:fs'
import { parse } from '../../src/qemu/mtree-flat.js'
import { FIXTURES, editLines, filesUnder } from '../helpers.js'

const dumps = filesUnder(FIXTURES, (n) => n.endsWith('mtree-f.txt'))
  .map((f) => readFileSync(f, 'utf8'))
  .filter((t) => E.isRight(parse(t)))

const mangle = (text: string, how: ReadonlyArray<number>): string =>
  editLines(text, how, [
    (l) => l.replace(/ +/g, ' '),
    (l) => l.replace(/^ +/, ''),
    (l) => l.replace(/^ +/, '\t'),
    (l) => (l === '' ? l : ' ' + l),
    (l) => l,
  ])

describe('info mtree -f with its indentation changed by a paste', () => {
  it('has recorded dumps', () => {
    expect(dumps.length).toBeGreaterThan(100)
  })
  it('every dump reads as the text QEMU printed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...dumps),
        fc.array(fc.nat(4), { minLength: 1, maxLength: 7 }),
        (d, how) => {
          expect(parse(mangle(d, how))).toEqual(parse(d))
        },
      ),
      { numRuns: 300 },
    )
  })
})
