// A UTF-8 byte-order mark (what Notepad and some paste tools put first) is accepted by every
// monitor-text parser: on every recorded machine's last state, the dump with a mark reads
// as the dump without one (LF and CRLF), and an error on the first line of an info mtree
// dump is placed at the same column, the mark not counted. Issue 16: "a BOM is accepted (or named as a BOM)".
import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { mtree, infoRamblock } from '../../src/index.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import { fixture, scenarios, stateId } from '../helpers.js'

const BOM = '\ufeff'
type Parse = (text: string) => E.Either<unknown, unknown>
const parsers: ReadonlyArray<readonly [string, Parse]> = [
  ['mtree-D.txt', (t) => mtree.parse(t)],
  ['mtree-f.txt', (t) => mtreeFlat.parse(t)],
  ['ramblock.txt', (t) => infoRamblock.parse(t)],
]

const cases = scenarios().flatMap((s) =>
  parsers
    .filter(([kind]) => existsSync(join(s.dir, `${stateId(s.states - 1)}-${kind}`)))
    .map(([kind, parse]) => ({
      name: `${s.recording}/${s.name} ${kind}`,
      text: fixture(s, s.states - 1, kind),
      parse,
    })),
)

describe('a byte-order mark is accepted', () => {
  it('there are recordings of each kind', () => {
    for (const [kind] of parsers) expect(cases.some((c) => c.name.endsWith(kind))).toBe(true)
  })
  it.each(cases)('$name: reads as without the mark (LF and CRLF)', ({ text, parse }) => {
    const plain = parse(text)
    expect(E.isRight(plain)).toBe(true)
    expect(parse(BOM + text)).toEqual(plain)
    const crlf = text.replace(/\r?\n/g, '\r\n')
    expect(parse(BOM + crlf)).toEqual(parse(crlf))
  })
  it.each(cases.filter((c) => c.name.endsWith('mtree-D.txt')))(
    '$name: an error on line 1 is at the same column',
    ({ text }) => {
      // the first region line alone, its priority broken: an error on line 1
      const region = text.split('\n').find((l) => l.includes('(prio ')) ?? ''
      const broken = region.replace(/\(prio -?\d+/, '(prio x')
      const plain = mtree.parse(broken)
      const marked = mtree.parse(BOM + broken)
      expect(E.isLeft(plain) && plain.left.line).toBe(1)
      expect(E.isLeft(marked) && [marked.left.line, marked.left.column]).toEqual(
        E.isLeft(plain) && [plain.left.line, plain.left.column],
      )
    },
  )
})
