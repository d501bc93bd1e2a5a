// `ramaddr draw`: arguments, errors and exit statuses, in-process and through bin/ramaddr.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { run } from '../../src/cli/main.js'
import { USAGE } from '../../src/cli/usage.js'
import { DRAW_USAGE } from '../../src/cli/draw-cmd.js'
import type { Io } from '../../src/cli/io.js'
import { FIXTURES, ROOT } from '../helpers.js'

const dir = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')
const tree = join(dir, '08-mtree-D.txt')
const rb = join(dir, '08-ramblock.txt')

const cli = (...argv: string[]): { code: number; out: string; err: string } => {
  let out = ''
  let err = ''
  const io: Io = {
    readFile: (p) =>
      E.tryCatch(
        () => readFileSync(p, 'utf8'),
        (e) => `cannot read ${p}: ${String(e)}`,
      ),
    stdout: (s) => {
      out += s
    },
    stderr: (s) => {
      err += s
    },
  }
  return { code: run(argv, io), out, err }
}

const count = (svg: string, cls: string): number => svg.split(`<rect class="${cls}`).length - 1

describe('ramaddr draw', () => {
  it('is listed in the help, and has its own', () => {
    expect(USAGE).toMatch(/^ {2}draw --mtree TREE --ramblock RB/m)
    const r = cli('draw', '--help')
    expect(r.code).toBe(0)
    expect(r.out).toBe(DRAW_USAGE)
  })

  it('prints one SVG document with a box per RAMBlock and per RAM-backed range', () => {
    const r = cli('draw', '--mtree', tree, '--ramblock', rb)
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(r.out.trimEnd().endsWith('</svg>')).toBe(true)
    // 08-ramblock.txt lists 9 blocks; 08-mtree-f.txt has 7 ram/rom lines for "memory"
    expect(count(r.out, 'box ramblock')).toBe(9)
    expect(count(r.out, 'box gpa ram') + count(r.out, 'box gpa rom')).toBe(7)
    expect(r.out).not.toContain('class="box gpa ghost')
    expect(r.out).toContain('No region moved.')
  })

  it('--move marks the old and new place', () => {
    const r = cli('draw', '--mtree', tree, '--ramblock', rb, '--move', 'vga.vram=0xe0000000')
    expect(r.code).toBe(0)
    expect(count(r.out, 'box gpa ghost')).toBe(1)
    expect(r.out).toMatch(/<rect class="box gpa ram moved"/)
    expect(r.out).toContain('<rect class="marker old"')
    expect(r.out).toContain('<rect class="marker new"')
    expect(r.out).toContain('Moved: vga.vram=0xe0000000.')
  })

  it('--as draws another address space; an unknown one is bad input', () => {
    const io = cli('draw', '--mtree', tree, '--ramblock', rb, '--as', 'I/O')
    expect(io.code).toBe(0)
    expect(count(io.out, 'box gpa ram')).toBe(0)
    expect(io.out).toContain('address space &quot;I/O&quot;')
    const bad = cli('draw', '--mtree', tree, '--ramblock', rb, '--as', 'nope')
    expect(bad.code).toBe(1)
    expect(bad.err).toBe('ramaddr draw: no address space named "nope"\n')
  })

  it('usage errors exit 2, bad input exits 1, with one line saying what', () => {
    const noTree = cli('draw', '--ramblock', rb)
    expect(noTree.code).toBe(2)
    expect(noTree.err.split('\n')[0]).toBe('ramaddr draw: --mtree TREE is required')
    const noRb = cli('draw', '--mtree', tree)
    expect(noRb.code).toBe(2)
    expect(noRb.err.split('\n')[0]).toBe('ramaddr draw: --ramblock RAMBLOCK is required')
    expect(cli('draw', '--mtree', tree, '--ramblock', rb, 'extra').code).toBe(2)
    const badMove = cli('draw', '--mtree', tree, '--ramblock', rb, '--move', 'nosuch=0x1000')
    expect(badMove.code).toBe(1)
    expect(badMove.err).toBe('ramaddr draw: --move nosuch=0x1000: no region named "nosuch"\n')
    const missing = cli('draw', '--mtree', join(dir, 'missing.txt'), '--ramblock', rb)
    expect(missing.code).toBe(1)
    expect(missing.out).toBe('')
  })

  it('bin/ramaddr draw writes the same SVG (built package)', () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'ramaddr'), 'draw', '--mtree', tree, '--ramblock', rb],
      { encoding: 'utf8' },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(cli('draw', '--mtree', tree, '--ramblock', rb).out)
  })
})
