// The CLI's error contract under fuzzing: every command, fed mutations of recorded dumps
// (truncations, dropped and repeated lines, flipped characters, random text), exits 0, or 1
// with exactly one line on stderr, within a time bound per input; it never throws. `npm test` runs a few inputs per
// command; `npm run fuzz` (FUZZ_RUNS) runs many.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInMemory } from '../memory-cli.js'
import { FIXTURES } from '../helpers.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 25)
const BOUND = Number(process.env.FUZZ_BOUND_MS ?? 2000)
const q35 = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')
const recorded = {
  mtree: readFileSync(join(q35, '08-mtree-D.txt'), 'utf8'),
  flat: readFileSync(join(q35, '08-mtree-f.txt'), 'utf8'),
  ramblock: readFileSync(join(q35, '08-ramblock.txt'), 'utf8'),
}

/** A text changed the ways a paste or a fuzzer changes it. */
const mutated = (text: string): fc.Arbitrary<string> => {
  const lines = text.split('\n')
  return fc.oneof(
    fc.nat({ max: text.length }).map((n) => text.slice(0, n)),
    fc.nat({ max: lines.length }).map((i) => lines.filter((_, k) => k !== i).join('\n')),
    fc
      .nat({ max: lines.length })
      .map((i) => [...lines.slice(0, i + 1), ...lines.slice(i)].join('\n')),
    fc
      .tuple(
        fc.nat({ max: Math.max(0, text.length - 1) }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
      )
      .map(([i, s]) => text.slice(0, i) + s + text.slice(i + s.length)),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constant(''),
    // a long run of blanks at any place in a line (a paste's padding gone wrong): parsing
    // stays linear, also where the line no longer reads
    fc
      .tuple(
        fc.nat({ max: Math.max(0, lines.length - 1) }),
        fc.nat({ max: 200 }),
        fc.integer({ min: 40_000, max: 80_000 }),
        fc.constantFrom(' ', '\t'),
      )
      .map(([i, at, n, blank]) =>
        lines
          .map((l, k) => {
            const p = at % (l.length + 1)
            return k === i ? l.slice(0, p) + blank.repeat(n) + l.slice(p) : l
          })
          .join('\n'),
      ),
  )
}

/** Runs the CLI in-process on in-memory files; exit status and what it wrote. */
const cli = runInMemory

const contract = (r: { code: number; stderr: string; ms: number }): void => {
  expect(r.ms, 'an input took too long').toBeLessThan(BOUND)
  expect([0, 1]).toContain(r.code)
  if (r.code === 1) {
    expect(r.stderr.endsWith('\n')).toBe(true)
    expect(r.stderr.slice(0, -1)).not.toMatch(/\n/)
    expect(r.stderr.length).toBeLessThan(1200)
  }
}

const COMMANDS: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ['ramblock', ['ramblock', 'R']],
  ['flatview', ['flatview', '--mtree', 'M']],
  ['flatview --learn', ['flatview', '--mtree', 'M', '--learn', 'F']],
  ['translate', ['translate', '--mtree', 'M', '--ramblock', 'R', '0xfd000010', '0x0']],
  ['gpas', ['gpas', '--mtree', 'M', '--ramblock', 'R', '0x20020000']],
  ['kvm-slots', ['kvm-slots', '--mtree', 'M', '--ramblock', 'R']],
  ['draw', ['draw', '--mtree', 'M', '--ramblock', 'R']],
  ['mirror plan', ['mirror', 'plan', '--mtree', 'M', '--ramblock', 'R', '--scheme', 'shifted']],
  ['xen decode', ['xen', 'decode', 'X']],
  ['xen encode', ['xen', 'encode', 'J']],
]

describe('CLI contract under fuzzing', () => {
  for (const [name, argv] of COMMANDS)
    it(`${name}: exit 0, or 1 with one line on stderr; never a throw`, () => {
      fc.assert(
        fc.property(
          mutated(recorded.mtree),
          mutated(recorded.flat),
          mutated(recorded.ramblock),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.oneof(
            fc.json({ maxDepth: 4 }),
            fc.constant(
              '{"host":[{"gfn":"0x0","count":"0xffffffffffffffff","mfn":"0x1","type":"ram_rw"}],"views":[]}',
            ),
          ),
          (M, F, R, X, J) => contract(cli({ M, F, R, X, J }, argv)),
        ),
        { numRuns: RUNS },
      )
    })
})
