// `ramaddr migstream`: the JSON contract of issue 15 on recorded streams, its values
// checked against what QEMU said (analyze-migration.py, query-migrate, info ramblock) and
// an independent reading; standard input through the built bin; errors and usage.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { runAsync } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import { FIXTURES, ROOT } from '../helpers.js'
import { readFixture, readIndependently } from '../migration/stream/reader.js'

const DIR = join(FIXTURES, 'migration', 'streams')
const FACTS = JSON.parse(readFileSync(join(DIR, 'facts.json'), 'utf8')) as Record<
  string,
  {
    queryMigrate: { normal: number; duplicate: number }
    analyzeMigration?: { sections: Array<[string, number]>; sectionSizes: Record<string, string> }
  }
>

const files: Record<string, Uint8Array> = {}
for (const name of ['q72-running-32m', 'q10-qtest-32m', 'q72-xbzrle-32m'])
  files[`${name}.bin`] = readFixture(join(DIR, `${name}.bin.gz`))

const run = async (argv: string[], opts: { stream?: boolean; tty?: boolean } = {}) => {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    readFile: (p) =>
      E.tryCatch(
        () => readFileSync(join(DIR, p), 'utf8'),
        () => `cannot read ${p}`,
      ),
    readBytes: (p) => {
      const b = files[p]
      return b === undefined ? E.left(`cannot read ${p}: no such file`) : E.right(b)
    },
    ...(opts.stream === true
      ? {
          readStream: async function* (p: string) {
            const b = files[p]
            if (b === undefined) throw new Error(`ENOENT: ${p}`)
            for (let i = 0; i < b.length; i += 1000) yield b.subarray(i, i + 1000)
          },
        }
      : {}),
    stderrIsTty: opts.tty ?? false,
    stdout: (s) => {
      stdout += s
    },
    stderr: (s) => {
      stderr += s
    },
  }
  const code = await runAsync(argv, io)
  return { code, stdout, stderr }
}

interface Json {
  version: number
  blocks: Array<{ idstr: string; usedLength: string }>
  sections: Array<{ idstr: string; instance: number; version: number }>
  pages: number
  zeroPages: number
  passes: Array<{
    pages: number
    zeroPages: number
    byBlock: Record<string, { pages: number; zeroPages: number }>
  }>
  records?: Array<{
    block: string
    offset: string
    kind: string
    at: number
    ramAddr?: string
    gpas?: string[]
  }>
}

describe('ramaddr migstream --json', () => {
  it.each(['q72-running-32m', 'q10-qtest-32m'])(
    '%s: the contract, with what QEMU said',
    async (name) => {
      const r = await run(['migstream', `${name}.bin`, '--json'], { stream: true })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const j = JSON.parse(r.stdout) as Json
      expect(Object.keys(j).sort()).toEqual([
        'blocks',
        'pages',
        'passes',
        'sections',
        'version',
        'zeroPages',
      ])
      expect(j.version).toBe(3)
      const facts = FACTS[name]
      if (facts?.analyzeMigration === undefined) throw new Error('facts')
      expect(Object.fromEntries(j.blocks.map((b) => [b.idstr, b.usedLength]))).toEqual(
        Object.fromEntries(
          Object.entries(facts.analyzeMigration.sectionSizes).map(([k, v]) => [
            k,
            '0x' + BigInt(v).toString(16),
          ]),
        ),
      )
      expect(j.sections.map((s) => s.idstr)).toEqual(
        facts.analyzeMigration.sections.map((s) => s[0]),
      )
      expect(j.sections[0]).toEqual({ idstr: 'ram', instance: 0, version: 4 })
      expect(j.pages).toBe(facts.queryMigrate.normal + facts.queryMigrate.duplicate)
      expect(j.zeroPages).toBe(facts.queryMigrate.duplicate)
      const list = parseRamblock(readFileSync(join(DIR, `${name}.ramblock.txt`), 'utf8'))
      if (E.isLeft(list)) throw new Error('ramblock')
      const first = j.passes[0]
      expect(first?.pages).toBe(
        list.right.blocks.reduce((n, b) => n + Number(b.usedLength / 4096n), 0),
      )
      for (const b of list.right.blocks)
        expect(first?.byBlock[b.idstr]?.pages).toBe(Number(b.usedLength / 4096n))
      expect(j.passes.reduce((n, p) => n + p.pages, 0)).toBe(j.pages)
      expect(j.passes.reduce((n, p) => n + p.zeroPages, 0)).toBe(j.zeroPages)
      for (const p of j.passes) {
        expect(Object.keys(p).sort()).toEqual(['byBlock', 'pages', 'zeroPages'])
        expect(Object.values(p.byBlock).reduce((n, b) => n + b.pages, 0)).toBe(p.pages)
      }
    },
  )

  it('--pages lists every record as the independent reading does, with ram_addr_t and GPAs', async () => {
    const name = 'q72-xbzrle-32m'
    const r = await run(
      [
        'migstream',
        `${name}.bin`,
        '--json',
        '--pages',
        '--ramblock',
        `${name}.ramblock.txt`,
        '--mtree',
        `${name}.mtree.txt`,
      ],
      { stream: true },
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout) as Json
    const other = readIndependently(files[`${name}.bin`] as Uint8Array)
    expect(
      j.records?.map((x) => ({ block: x.block, offset: BigInt(x.offset), kind: x.kind, at: x.at })),
    ).toEqual(other.records)
    expect(j.records?.some((x) => x.kind === 'xbzrle')).toBe(true)
    const list = parseRamblock(readFileSync(join(DIR, `${name}.ramblock.txt`), 'utf8'))
    if (E.isLeft(list)) throw new Error('ramblock')
    const base = new Map(list.right.blocks.map((b) => [b.idstr, b.offset]))
    for (const x of j.records ?? []) {
      expect(x.offset).toMatch(/^0x[0-9a-f]+$/)
      expect(x.ramAddr).toBe('0x' + ((base.get(x.block) ?? 0n) + BigInt(x.offset)).toString(16))
      expect(Array.isArray(x.gpas)).toBe(true)
    }
    // pc.ram below 2 GiB is at GPA = offset on q35 (the ram-below-4g alias); the BIOS's
    // 256 KiB end at 4 GiB
    const at = (block: string, offset: string) =>
      j.records?.find((x) => x.block === block && x.offset === offset)
    expect(at('pc.ram', '0x100000')?.gpas).toEqual(['0x100000'])
    expect(at('pc.bios', '0x3f000')?.gpas).toContain('0xfffff000')
  })
})

describe('ramaddr migstream', () => {
  it('prints the passes per block and the GPA ranges each pass touched', async () => {
    const name = 'q72-running-32m'
    const r = await run([
      'migstream',
      `${name}.bin`,
      '--ramblock',
      `${name}.ramblock.txt`,
      '--mtree',
      `${name}.mtree.txt`,
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('pass 1 (from byte ')
    expect(r.stdout).toMatch(/^ {2}pc\.ram: 8192 pages/m)
    expect(r.stdout).toMatch(/^ {2}GPAs: 0x0-0x1ffffff 0xfffc0000-0xffffffff$/m)
    expect(r.stdout).toMatch(/^ {2}mc146818rtc {2}instance 0 {2}version 3/m)
  })

  it('reads standard input through the built bin', () => {
    const bytes = files['q10-qtest-32m.bin'] as Uint8Array
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'ramaddr'), 'migstream', '-', '--json'],
      {
        input: bytes,
        encoding: 'utf8',
      },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const j = JSON.parse(r.stdout) as Json
    expect(j.zeroPages).toBe(FACTS['q10-qtest-32m']?.queryMigrate.duplicate)
  })

  it('reads a file through the built bin, chunk by chunk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ramaddr-migstream-'))
    try {
      const path = join(dir, 's.bin')
      writeFileSync(path, files['q72-running-32m.bin'] as Uint8Array)
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'bin', 'ramaddr'), 'migstream', path, '--json'],
        {
          encoding: 'utf8',
        },
      )
      expect(r.status).toBe(0)
      expect((JSON.parse(r.stdout) as Json).pages).toBe(8326)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('bad input: exit 1, one line naming the byte offset', async () => {
    const whole = files['q72-running-32m.bin'] as Uint8Array
    files['cut.bin'] = whole.subarray(0, 300000)
    const r = await run(['migstream', 'cut.bin', '--json'])
    expect(r.code).toBe(1)
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^ramaddr migstream: cut\.bin: at byte \d+ \(0x[0-9a-f]+\): expected /)
    const bad = whole.slice()
    bad[0] = 0
    files['bad.bin'] = bad
    const b = await run(['migstream', 'bad.bin'])
    expect(b.code).toBe(1)
    expect(b.stderr).toBe(
      'ramaddr migstream: bad.bin: at byte 0 (0x0): expected QEMU_VM_FILE_MAGIC "QEVM", found 0x45564d\n',
    )
    const missing = await run(['migstream', 'nope.bin'], { stream: true })
    expect(missing.code).toBe(1)
    expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1)
  })

  it('bad usage: exit 2', async () => {
    expect((await run(['migstream'])).code).toBe(2)
    expect((await run(['migstream', 'a.bin', 'b.bin'])).code).toBe(2)
    expect((await run(['migstream', 'q72-running-32m.bin', '--mtree', 'x'])).code).toBe(2)
    expect((await run(['migstream', 'q72-running-32m.bin', '--frobnicate'])).code).toBe(2)
    const help = await run(['migstream', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: ramaddr migstream/)
  })

  it('no progress line when standard error is not a terminal, nor with --quiet', async () => {
    expect((await run(['migstream', 'q72-running-32m.bin', '--quiet'], { tty: true })).stderr).toBe(
      '',
    )
    expect((await run(['migstream', 'q72-running-32m.bin'], { tty: false })).stderr).toBe('')
  })
})
