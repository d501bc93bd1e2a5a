// The CLI contract on every recorded dump, run in-process (the same code bin/ramaddr
// runs): `flatview --mtree TREE --learn FLAT` of one state prints QEMU's flat view of that
// state in every address space (for info mtree -D and for info mtree alike), the
// accelerator read off the view's markers; `ramblock FILE` reprints every info ramblock
// byte for byte; a view of another state is refused with one line naming its line.
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { run } from '../../src/cli/main.js'
import { nodeIo, type Io } from '../../src/cli/io.js'
import { linesByAddressSpace, parse as parseFlat } from '../../src/qemu/mtree-flat.js'
import { fixture, scenarios, stateId } from '../helpers.js'

const cli = (...argv: string[]) => {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    ...nodeIo,
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  }
  const code = run(argv, io)
  return { code, stdout, stderr }
}

const rangeLinesOf = (text: string) => {
  const p = parseFlat(text)
  if (E.isLeft(p)) throw new Error(p.left.message)
  return new Map([...linesByAddressSpace(p.right)].sort())
}

for (const s of scenarios()) {
  describe(`${s.recording}/${s.name}`, () => {
    for (let n = 0; n < s.states; n++) {
      const id = stateId(n)
      const file = (kind: string) => join(s.dir, `${id}-${kind}`)
      for (const tree of ['mtree-D.txt', 'mtree.txt'])
        it(`${id}: flatview --mtree ${id}-${tree} --learn ${id}-mtree-f.txt is QEMU's text`, () => {
          const r = cli(
            'flatview',
            '--mtree',
            file(tree),
            '--learn',
            file('mtree-f.txt'),
            '--strict',
          )
          expect(r.stderr).toBe('')
          expect(r.code).toBe(0)
          // QEMU's own text, byte for byte: views and address spaces in its order, its line ends
          expect(r.stdout).toBe(fixture(s, n, 'mtree-f.txt'))
        })
      it(`${id}: ramblock ${id}-ramblock.txt reprints byte for byte`, () => {
        const r = cli('ramblock', file('ramblock.txt'))
        expect(r.code).toBe(0)
        expect(r.stdout).toBe(fixture(s, n, 'ramblock.txt'))
      })
    }
  })
}

describe('a flat view of another state is refused, not learned from', () => {
  const q35 = scenarios().find((s) => s.recording === 'qemu-10.0' && s.name === 'q35-512m-vga-net')
  if (q35 === undefined) throw new Error('fixture missing')
  const file = (n: string) => join(q35.dir, n)
  it('state 03 with the view of state 00 (BARs not yet mapped): exit 1, one line', () => {
    const r = cli('flatview', '--mtree', file('03-mtree-D.txt'), '--learn', file('00-mtree-f.txt'))
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/00-mtree-f\.txt: line [0-9]+: in .* not of the same state/)
  })
  it('a -f file cut inside its last line is refused', () => {
    const text = fixture(q35, 3, 'mtree-f.txt')
    const lines = text.split('\r\n')
    const last = lines.map((l, i) => (l.includes('): ') ? i : -1)).reduce((x, y) => Math.max(x, y))
    const cut = [...lines.slice(0, last), (lines[last] ?? '').replace(/\): .*$/, '): ')].join(
      '\r\n',
    )
    const io: Io = { ...nodeIo, readFile: (p) => (p === 'cut' ? E.right(cut) : nodeIo.readFile(p)) }
    let err = ''
    const code = run(['flatview', '--mtree', file('03-mtree-D.txt'), '--learn', 'cut'], {
      ...io,
      stdout: () => undefined,
      stderr: (t) => {
        err += t
      },
    })
    expect(code).toBe(1)
    expect(err).toMatch(/cut: line [0-9]+, column [0-9]+: expected a region name/)
  })
})

describe('--strict and partial dumps', () => {
  const q35 = scenarios().find((s) => s.recording === 'qemu-10.0' && s.name === 'q35-512m-vga-net')
  if (q35 === undefined) throw new Error('fixture missing')
  const text = fixture(q35, 3, 'mtree-D.txt')
  // a paste of address space memory alone: its alias targets are not printed
  const memoryOnly =
    text.split('\r\n\r\n').find((sec) => sec.includes('address-space: memory')) + '\r\n\r\n'
  const io = (t: string): Io => ({
    ...nodeIo,
    readFile: (p) => (p === 'paste' ? E.right(t) : nodeIo.readFile(p)),
  })
  const runWith = (t: string, ...argv: string[]) => {
    let stdout = ''
    let stderr = ''
    const code = run(argv, {
      ...io(t),
      stdout: (x) => {
        stdout += x
      },
      stderr: (x) => {
        stderr += x
      },
    })
    return { code, stdout, stderr }
  }
  it('translate answers from a paste of one address space, and --strict refuses it', () => {
    const translatePaste = (...extra: string[]) =>
      runWith(
        memoryOnly,
        'translate',
        '--mtree',
        'paste',
        '--ramblock',
        join(q35.dir, '03-ramblock.txt'),
        ...extra,
        '0x100000',
      )
    const ok = translatePaste('--json')
    expect(ok.stderr).toBe('')
    const rows = JSON.parse(ok.stdout) as Array<Record<string, unknown>>
    // QEMU's own gpa2hva probe of the same state gives the host address
    const probes = JSON.parse(fixture(q35, 3, 'probes.json')) as Array<Record<string, string>>
    const probe = probes.find((p) => BigInt(p.gpa ?? '') === 0x100000n)
    expect(probe?.region).toBe('pc.ram')
    expect(rows[0]).toMatchObject({
      gpa: '0x100000',
      region: 'pc.ram',
      hva: `0x${BigInt(probe?.hva ?? '0').toString(16)}`,
      assumed: true,
    })
    const strict = translatePaste('--strict')
    expect(strict.code).toBe(1)
    expect(strict.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(strict.stderr).toMatch(
      /--strict: [0-9]+ things the dump does not say \(first, line [0-9]+: /,
    )
  })
})

describe('--move takes a path or an address where names repeat', () => {
  const q35 = scenarios().find((s) => s.recording === 'qemu-10.0' && s.name === 'q35-512m-vga-net')
  if (q35 === undefined) throw new Error('fixture missing')
  const file = (n: string) => join(q35.dir, n)
  it('the virtio-pci BAR region is one region, though it roots virtio-pci-cfg-mem-as too', () => {
    // state 12: the modern virtio BAR mapped at 0x800000000, and the root of its config AS
    const r = cli(
      'flatview',
      '--mtree',
      file('12-mtree-D.txt'),
      '--learn',
      file('12-mtree-f.txt'),
      '--move',
      'virtio-pci=0x800100000',
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const views = rangeLinesOf(r.stdout)
    // moved in memory (through the pci64 hole alias, identity-mapped), as QEMU's
    // memory_region_set_address would; and in the config address space too, which QEMU
    // renders from its root's own address (render_memory_region adds mr->addr: state 12's
    // -f shows that address space at 0x800000000, state 03's, unmapped, at 0)
    for (const as of ['AS "memory", root: system', 'AS "virtio-pci-cfg-mem-as", root: virtio-pci'])
      expect(views.get(as)).toContain(
        '0000000800100000-0000000800100fff (prio 0, i/o): virtio-pci-common-virtio-net',
      )
  })
  it('names an ambiguous region by NAME@ADDR and refuses the bare name', () => {
    const bare = cli('flatview', '--mtree', file('03-mtree-D.txt'), '--move', 'pam-pci=0x0')
    expect(bare.code).toBe(1)
    expect(bare.stderr).toMatch(/regions match "pam-pci"; name one by path/)
  })
})
