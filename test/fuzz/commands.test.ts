// The CLI's error contract under fuzzing, for what test/fuzz/cli.test.ts does not reach:
// random argument lists for every command (unknown, repeated and valueless options, huge
// and odd numbers), `mirror plan --scheme tuples [--snp]` on hostile tuple files (deep
// nesting, huge hex, wrong shapes), `mirror after-move` on random moves, `ramblock
// --allocate` on random specs, and `xen encode` on scenarios near the valid ones. Exit 0,
// 1 with exactly one bounded line on stderr, or 2 (usage); never a throw; each input
// within a time bound. `npm test` runs a few inputs per target, `npm run fuzz` many.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInMemory } from '../memory-cli.js'
import { FIXTURES } from '../helpers.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 25)
const BOUND = Number(process.env.FUZZ_BOUND_MS ?? 2000)
const LIMIT = process.env.FUZZ_TIME_LIMIT_S
const options = {
  numRuns: RUNS,
  ...(LIMIT === undefined
    ? {}
    : { interruptAfterTimeLimit: Number(LIMIT) * 1000, markInterruptAsFailure: false }),
}

const q35 = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')
const FILES = {
  M: readFileSync(join(q35, '08-mtree-D.txt'), 'utf8'),
  F: readFileSync(join(q35, '08-mtree-f.txt'), 'utf8'),
  R: readFileSync(join(q35, '08-ramblock.txt'), 'utf8'),
}

const cli = runInMemory

let count = 0
const contract = (files: Readonly<Record<string, string>>, argv: ReadonlyArray<string>): void => {
  count++
  const r = cli(files, argv)
  expect(r.ms, `${argv.join(' ')} took too long`).toBeLessThan(BOUND)
  expect([0, 1, 2]).toContain(r.code)
  if (r.code === 1) {
    expect(r.stderr.endsWith('\n')).toBe(true)
    expect(r.stderr.slice(0, -1)).not.toMatch(/\n/)
    expect(r.stderr.length).toBeLessThan(1200)
  }
  if (r.code === 2) expect(r.stderr.split('\n')[0]).toMatch(/^ramaddr/)
}
const report = (name: string, t0: number): void => {
  console.log(`fuzz ${name}: ${count} inputs in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  count = 0
}

const hexish = fc.oneof(
  fc.bigInt({ min: 0n, max: 1n << 40n }).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom(
    '0x0',
    '0xffffffffffffffff',
    '0x10000000000000000',
    '-1',
    '',
    '1e999',
    '0x',
    'zz',
    '4096',
    '512M',
    '1G',
    '99999999999999999999999',
  ),
)
const word = fc.oneof(
  hexish,
  fc.constantFrom('M', 'F', 'R', 'T', 'J', 'X', 'missing', '-', 'memory', 'pc.ram', 'vga.vram'),
  fc.string({ maxLength: 8 }),
)
const OPTS = [
  '--mtree',
  '--ramblock',
  '--learn',
  '--as',
  '--move',
  '--json',
  '--strict',
  '--log',
  '--allocate',
  '--dialect',
  '--accel',
  '--scheme',
  '--shift',
  '--tuples',
  '--snp',
  '--vtom',
  '--maxphyaddr',
  '--reduction',
  '--cbitpos',
  '--helper-vcpus',
  '--no-helper',
  '--soft',
  '--bogus',
  '--',
]
const argsArb = fc.array(
  fc.oneof(
    fc.constantFrom(...OPTS),
    word,
    fc.tuple(fc.constantFrom(...OPTS), word).map(([o, w]) => `${o}=${w}`),
    fc.tuple(word, hexish).map(([a, b]) => `${a}=${b}`),
  ),
  { maxLength: 10 },
)

/** Tuple files: near-valid lists, wrong shapes, deep nesting. */
const deep = (n: number, open: string, close: string): string => open.repeat(n) + close.repeat(n)
const tuplesArb = fc.oneof(
  fc
    .array(
      fc.record({ mainGpa: hexish, length: hexish, mirrorGpa: hexish }, { requiredKeys: [] }),
      { maxLength: 6 },
    )
    .map((x) => JSON.stringify(x)),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(
    deep(100_000, '[', ']'),
    deep(100_000, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}'),
    '[' + deep(50_000, '[', ']') + ']',
    '[{"mainGpa":"0x100000","length":"0x1000","mirrorGpa":"0x10000000000"}]',
    '[{"mainGpa":"0x0","length":"0xffffffffffffffff","mirrorGpa":"0x0"}]',
    '\ufeff[]',
    '',
  ),
)

describe('CLI contract under fuzzing: arguments and hostile files', () => {
  for (const cmd of [
    ['ramblock'],
    ['flatview'],
    ['translate'],
    ['gpas'],
    ['kvm-slots'],
    ['draw'],
    ['mirror', 'plan'],
    ['mirror', 'after-move'],
    ['mirror'],
    ['xen', 'encode'],
    ['xen', 'decode'],
  ])
    it(`${cmd.join(' ')}: random arguments`, () => {
      const t0 = performance.now()
      fc.assert(
        fc.property(argsArb, tuplesArb, (args, T) =>
          contract({ ...FILES, T, J: T, X: T }, [...cmd, ...args]),
        ),
        options,
      )
      report(`${cmd.join(' ')} arguments`, t0)
    })

  it('mirror plan --scheme tuples [--snp]: hostile tuple files', () => {
    const t0 = performance.now()
    fc.assert(
      fc.property(tuplesArb, fc.boolean(), fc.boolean(), (T, snp, json) =>
        contract({ ...FILES, T }, [
          'mirror',
          'plan',
          '--mtree',
          'M',
          '--ramblock',
          'R',
          '--scheme',
          'tuples',
          '--tuples',
          'T',
          ...(snp ? ['--snp'] : []),
          ...(json ? ['--json'] : []),
        ]),
      ),
      options,
    )
    report('mirror plan tuples', t0)
  })

  it('mirror after-move: random moves', () => {
    const t0 = performance.now()
    const region = fc.constantFrom('vga.vram', 'pc.ram', 'e1000-mmio', 'nope', '', '=')
    fc.assert(
      fc.property(
        fc.array(fc.tuple(region, hexish), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('shifted', 'tuples'),
        tuplesArb,
        (moves, scheme, T) =>
          contract({ ...FILES, T }, [
            'mirror',
            'after-move',
            '--mtree',
            'M',
            '--ramblock',
            'R',
            '--scheme',
            scheme,
            ...(scheme === 'tuples' ? ['--tuples', 'T'] : []),
            ...moves.flatMap(([r, a]) => ['--move', `${r}=${a}`]),
          ]),
      ),
      options,
    )
    report('mirror after-move', t0)
  })

  it('ramblock --allocate: random specs', () => {
    const t0 = performance.now()
    const spec = fc
      .tuple(fc.string({ maxLength: 6 }), hexish, fc.option(hexish, { nil: undefined }))
      .map(([n, u, m]) => (m === undefined ? `${n}:${u}` : `${n}:${u}:${m}`))
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 5 }), fc.boolean(), (specs, json) =>
        contract(FILES, [
          'ramblock',
          ...specs.flatMap((s) => ['--allocate', s]),
          ...(json ? ['--json'] : []),
        ]),
      ),
      options,
    )
    report('ramblock --allocate', t0)
  })

  it('xen encode: scenarios near the valid ones', () => {
    const t0 = performance.now()
    const small = fc.bigInt({ min: 0n, max: 0x40n }).map((n) => `0x${n.toString(16)}`)
    const gfn = fc.oneof(small, hexish)
    const scenario = fc.record(
      {
        host: fc.array(
          fc.record({
            gfn: small,
            count: fc.oneof(small, fc.constantFrom('0xffffffffffffffff', '0x10000000000000')),
            mfn: gfn,
            type: fc.constantFrom('ram_rw', 'mmio_dm', 'ram_logdirty'),
          }),
          { maxLength: 3 },
        ),
        views: fc.array(
          fc.record({
            ops: fc.array(
              fc.oneof(
                fc.record({ op: fc.constant('set_mem_access'), gfn, access: fc.constant('rx') }),
                fc.record({ op: fc.constant('change_gfn'), gfn, newGfn: gfn }),
              ),
              { maxLength: 3 },
            ),
          }),
          { maxLength: 2 },
        ),
        writes: fc.array(fc.record({ view: fc.nat({ max: 2 }), gfn }), { maxLength: 2 }),
        migration: fc.record({ views: fc.constantFrom('migrate', 'soft') }),
      },
      { requiredKeys: ['host'] },
    )
    fc.assert(
      fc.property(scenario, fc.boolean(), (s, soft) =>
        contract({ J: JSON.stringify(s) }, ['xen', 'encode', 'J', ...(soft ? ['--soft'] : [])]),
      ),
      options,
    )
    report('xen encode scenarios', t0)
  })
})
