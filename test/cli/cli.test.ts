// The CLI as users run it: the built bin/ramaddr under Node (this also proves the built
// ESM entry imports fp-ts and io-ts correctly at run time).
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { ROOT, scenarios, stateId } from '../helpers.js'

const BIN = join(ROOT, 'bin', 'ramaddr')
const ramaddr = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('bin/ramaddr', () => {
  it('--version prints package.json version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(ramaddr('--version')).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' })
  })
  it('bin/ramaddr loads one bundled script, no module of dist/ or node_modules (load hooks list what loads)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ramaddr-hook-'))
    try {
      // ES modules through a loader hook; CommonJS requires through Module._load
      const hook = join(dir, 'hook.mjs')
      writeFileSync(
        hook,
        `export async function load(url, context, next) {
          if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n')
          return next(url, context)
        }\n`,
      )
      const register = join(dir, 'register.mjs')
      writeFileSync(
        register,
        `import { register } from 'node:module'\nimport Module from 'node:module'\n` +
          `const load = Module._load\n` +
          `Module._load = function (request, ...rest) {\n` +
          `  if (!request.startsWith('node:') && !Module.isBuiltin(request)) process.stderr.write('REQUIRED ' + request + '\\n')\n` +
          `  return load.call(this, request, ...rest)\n}\n` +
          `register(${JSON.stringify(pathToFileURL(hook).href)})\n`,
      )
      const root = pathToFileURL(ROOT).href + '/'
      const loaded = (...args: string[]): string[] => {
        const r = spawnSync(process.execPath, ['--import', register, BIN, ...args], {
          encoding: 'utf8',
        })
        expect(r.status, r.stderr).toBe(0)
        return r.stderr
          .split('\n')
          .filter((l) => l.startsWith('LOADED ') || l.startsWith('REQUIRED '))
          .map((l) => l.replace(/^LOADED /, ''))
          .filter((u) => u !== pathToFileURL(register).href)
          .map((u) => (u.startsWith(root) ? u.slice(root.length) : u))
      }
      const q35 = join(ROOT, 'test', 'fixtures', 'qemu-7.2', 'q35-512m-vga-net')
      for (const args of [
        ['--help'],
        [
          'translate',
          '--mtree',
          join(q35, '08-mtree-D.txt'),
          '--ramblock',
          join(q35, '08-ramblock.txt'),
          '0x0',
        ],
      ])
        expect(loaded(...args), args.join(' ')).toEqual(['bin/ramaddr'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('the code cache npm run build made for the bundled script is one this Node accepts', () => {
    // V8 refuses a cache made from other source, another V8 or other flags (and then
    // compiles as usual): a build that trained a different script than bin/ramaddr runs
    // would leave a cache that is never used
    const probe = [
      "const { readFileSync } = require('node:fs')",
      "const { Script } = require('node:vm')",
      `const s = new Script(readFileSync(${JSON.stringify(join(ROOT, 'dist', 'cli', 'ramaddr.cjs'))}, 'utf8'), { cachedData: readFileSync(${JSON.stringify(join(ROOT, 'dist', 'cli', 'ramaddr.v8cache'))}) })`,
      'process.stdout.write(String(s.cachedDataRejected))',
    ].join('\n')
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('false')
  })
  it('prints help and exits 0', () => {
    const r = ramaddr('--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('ramblock')
    expect(ramaddr('ramblock', '--help').stdout).toContain('--allocate')
  })
  it('exits 2 on bad usage with the usage on stderr', () => {
    expect(ramaddr().code).toBe(2)
    expect(ramaddr('frobnicate').code).toBe(2)
    const r = ramaddr('ramblock', '--nope')
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('ramaddr ramblock: unknown option --nope')
    expect(ramaddr('ramblock').code).toBe(2)
    expect(ramaddr('ramblock', '--allocate', 'nosize').code).toBe(2)
  })
  it('a repeated single-valued option is a usage error; list options may repeat', () => {
    const q35 = join(ROOT, 'test', 'fixtures', 'qemu-7.2', 'q35-512m-vga-net', '08-mtree-D.txt')
    const r = ramaddr('flatview', '--mtree', q35, '--mtree', q35)
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe(
      'ramaddr flatview: option --mtree is given twice; it takes one value',
    )
    const moved = ramaddr(
      'flatview',
      '--mtree',
      q35,
      '--move',
      'vga.vram=0xe0000000',
      '--move',
      'vga.vram=0xd0000000',
    )
    expect(moved.code).toBe(0)
  })
  it('a usage message does not repeat the command name', () => {
    const r = ramaddr('ramblock', 'a.txt', 'b.txt')
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe(
      'ramaddr ramblock: expected exactly one FILE (or --allocate)',
    )
  })
  it('reads a file that starts with a UTF-8 byte-order mark as if it had none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ramaddr-bom-'))
    try {
      const src = join(ROOT, 'test', 'fixtures', 'qemu-7.2', 'pc-128m', '00-ramblock.txt')
      const bom = join(dir, 'ramblock.txt')
      writeFileSync(bom, '\uFEFF' + readFileSync(src, 'utf8'))
      const r = ramaddr('ramblock', bom)
      expect(r).toEqual({ code: 0, stdout: readFileSync(src, 'utf8'), stderr: '' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('exits 1 on bad input with one line on stderr', () => {
    const r = ramaddr('ramblock', join(ROOT, 'package.json'))
    expect(r.code).toBe(1)
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/package\.json: line 1, column 1: expected the info ramblock header/)
    expect(ramaddr('ramblock', '/no/such/file').code).toBe(1)
    const dup = ramaddr('ramblock', '--allocate', 'a:4K', '--allocate', 'a:4K')
    expect(dup.code).toBe(1)
    expect(dup.stderr).toContain('RAMBlock "a" already registered')
  })
  for (const s of scenarios().filter((x) => x.recording === 'qemu-7.2')) {
    const file = join(s.dir, `${stateId(0)}-ramblock.txt`)
    it(`reprints ${s.name} byte for byte and as JSON`, () => {
      const text = readFileSync(file, 'utf8')
      const r = ramaddr('ramblock', file)
      expect(r.code).toBe(0)
      expect(r.stdout).toBe(text)
      const json = JSON.parse(ramaddr('ramblock', file, '--json').stdout) as Array<
        Record<string, string>
      >
      const rows = text.split('\r\n').slice(1, -1)
      expect(json).toHaveLength(rows.length)
      for (const [i, row] of rows.entries()) {
        const cols = row.trim().split(/\s+/)
        const [max, used, offset] = [cols.at(-1), cols.at(-2), cols.at(-3)].map(
          (h) => '0x' + BigInt(h ?? '').toString(16),
        )
        expect(json[i]).toEqual({ name: cols[0], pageSize: '0x1000', offset, used, max })
      }
    })
  }
  it('allocates as QEMU does (q35-512m-vga-net creation order)', () => {
    const expected = readFileSync(
      join(ROOT, 'test/fixtures/qemu-7.2/q35-512m-vga-net/00-ramblock.txt'),
      'utf8',
    )
    const r = ramaddr(
      'ramblock',
      '--allocate',
      'pc.ram:512M',
      '--allocate',
      'pc.bios:256K',
      '--allocate',
      'pc.rom:128K',
      '--allocate',
      '0000:00:02.0/vga.vram:16M',
      '--allocate',
      '0000:00:02.0/vga.rom:64K',
      '--allocate',
      '0000:00:03.0/virtio-net-pci.rom:0x40000',
      '--allocate',
      '/rom@etc/acpi/tables:128K:2M',
      '--allocate',
      '/rom@etc/table-loader:4K:64K',
      '--allocate',
      '/rom@etc/acpi/rsdp:4K:4K',
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(expected)
  })
})
