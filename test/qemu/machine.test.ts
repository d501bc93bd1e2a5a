// machines.fromDumps (and readDumps, its Node half) on real recordings: every recorded
// state parses, checks against its own flat view, and translates each gpa2hva probe to
// the region QEMU named; a bad dump is an error naming which dump, with the parser's own
// error as its cause.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { Gpa } from '../../src/addresses/kinds.js'
import { fromDumps } from '../../src/qemu/machine.js'
import { Q35 } from '../../src/machines/q35.js'
import { readDumps } from '../../src/node/read.js'
import { translationOfGpa } from '../../src/translate/address-map.js'
import { fixture, scenarios } from '../helpers.js'
import { recordedMachine } from '../recorded-machine.js'

const RECORDINGS = [
  'qemu-7.2',
  'qemu-7.2-kvm',
  'qemu-10.0',
  'ramaddr-7.2',
  'ramaddr-7.2-kvm',
  'ramaddr-10.0',
]
const all = scenarios().filter((s) => RECORDINGS.includes(s.recording))

describe('machines.fromDumps on recorded states', () => {
  it('the shipped Q35 is the recorded q35-512m-vga-net state 08', () => {
    const s = all.find((x) => x.recording === 'qemu-7.2' && x.name === 'q35-512m-vga-net')
    expect(s).toBeDefined()
    if (s === undefined) return
    expect(Q35).toEqual({
      mtree: fixture(s, 8, 'mtree-D.txt'),
      flat: fixture(s, 8, 'mtree-f.txt'),
      ramblock: fixture(s, 8, 'ramblock.txt'),
    })
  })
  it('there are recordings to check', () => expect(all.length).toBeGreaterThan(10))
  for (const s of all)
    for (const n of [0, s.states - 1])
      it(`${s.recording}/${s.name} state ${n}`, () => {
        const m = recordedMachine(s, n)
        expect(m.assumptions).toEqual([])
        expect(m.accel).toBe(s.recording.endsWith('-kvm') ? 'kvm' : 'tcg')
        const map = m.addressMap
        expect(map).toBeDefined()
        if (map === undefined) return
        const probes = JSON.parse(fixture(s, n, 'probes.json')) as Array<{
          gpa: string
          region: string | null
        }>
        for (const p of probes.filter((q) => q.region !== null)) {
          const x = translationOfGpa(Gpa.unsafe(BigInt(p.gpa)))(map)
          expect(x._tag === 'Ram' ? x.region.name : x._tag, p.gpa).toBe(p.region)
        }
      })
})

describe('machines.fromDumps errors', () => {
  const s = all.find((x) => x.recording === 'qemu-7.2' && x.name === 'q35-512m-vga-net')
  if (s === undefined) throw new Error('q35 recording missing')
  it('a flat view of another state: info mtree -f, caused by the FlatViewMismatch', () => {
    const m = fromDumps({ mtree: fixture(s, 8, 'mtree-D.txt'), flat: fixture(s, 0, 'mtree-f.txt') })
    expect(E.isLeft(m)).toBe(true)
    if (E.isRight(m)) return
    expect(m.left.dump).toBe('info mtree -f')
    expect(m.left.cause._tag).toBe('FlatViewMismatch')
    expect(m.left.message).toBe(`info mtree -f: ${m.left.cause.message}`)
  })
  it('a broken ramblock line: info ramblock, caused by the TextError with its line', () => {
    const lines = fixture(s, 8, 'ramblock.txt').split('\n')
    lines[2] = '                  pc.bios    4 KiB  0xZZ'
    const m = fromDumps({ mtree: fixture(s, 8, 'mtree-D.txt'), ramblock: lines.join('\n') })
    expect(E.isLeft(m) && m.left.dump).toBe('info ramblock')
    expect(E.isLeft(m) && m.left.cause._tag === 'TextError' && m.left.cause.line).toBe(3)
  })
  it('without a flat view the guesses stay, and without ramblock there is no map', () => {
    const m = fromDumps({ mtree: fixture(s, 8, 'mtree-D.txt') })
    expect(E.isRight(m) && m.right.addressMap).toBe(undefined)
    expect(E.isRight(m) && m.right.accel).toBe(undefined)
  })
})

describe('readDumps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ramaddr-read-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const s = all.find((x) => x.recording === 'qemu-7.2' && x.name === 'q35-512m-vga-net')
  if (s === undefined) throw new Error('q35 recording missing')
  it('reads the files and gives what fromDumps gives', () => {
    for (const k of ['mtree-D.txt', 'mtree-f.txt', 'ramblock.txt'])
      writeFileSync(join(dir, k), fixture(s, 8, k))
    const m = readDumps({
      mtree: join(dir, 'mtree-D.txt'),
      flat: join(dir, 'mtree-f.txt'),
      ramblock: join(dir, 'ramblock.txt'),
    })
    expect(m).toEqual(fromDumps(Q35))
  })
  it('a missing file is a ReadError naming it; a bad one names the file and the line', () => {
    const missing = readDumps({ mtree: join(dir, 'nope.txt') })
    expect(E.isLeft(missing) && missing.left._tag).toBe('ReadError')
    expect(E.isLeft(missing) && missing.left.message).toMatch(/^cannot read .*nope\.txt: ENOENT/)
    writeFileSync(join(dir, 'bad.txt'), 'address-space: memory\n  zz\n')
    const bad = readDumps({ mtree: join(dir, 'bad.txt') })
    expect(E.isLeft(bad) && bad.left.message).toMatch(/bad\.txt: info mtree: line 2, column/)
  })
})
