// No documented function throws on what fast-check can build: every io-ts codec of every
// entry point decodes anything (bigints, cycles, 100,000-deep nesting included) to an
// Either, every text parser reads any string, and every error renders as one line.
// The codecs and parsers are found by walking the built entries, so a new one is covered
// without this file changing.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from '../helpers.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import: { default: string } }>
}
const entries = Object.entries(pkg.exports).flatMap(([sub, t]) =>
  typeof t === 'string' || sub === './cli' || sub === './node'
    ? []
    : [[sub, t.import.default] as const],
)

interface Found {
  readonly codecs: Array<[string, { decode: (u: unknown) => unknown }]>
  readonly parsers: Array<[string, (text: string) => unknown]>
}

/** Codecs (io-ts `Type`s) and text parsers (`parse…` functions) reachable from a module. */
const walk = (m: Record<string, unknown>, prefix: string, out: Found, seen: Set<unknown>): void => {
  if (seen.has(m)) return
  seen.add(m)
  for (const [k, v] of Object.entries(m)) {
    const name = prefix + k
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>
      if (
        typeof o.decode === 'function' &&
        typeof o.is === 'function' &&
        typeof o.encode === 'function'
      )
        out.codecs.push([name, o as { decode: (u: unknown) => unknown }])
      else if (
        Object.getPrototypeOf(o) === null ||
        (o as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module'
      )
        walk(o, name + '.', out, seen)
    } else if (typeof v === 'function' && /^parse/.test(k) && v.length === 1)
      out.parsers.push([name, v as (text: string) => unknown])
  }
}

const found: Found = { codecs: [], parsers: [] }
for (const [sub, file] of entries) {
  const m = (await import(pathToFileURL(join(ROOT, file)).href)) as Record<string, unknown>
  walk(m, sub === '.' ? '' : `${sub.slice(2)}:`, found, new Set())
}

const isEither = (r: unknown): boolean =>
  typeof r === 'object' && r !== null && ['Left', 'Right'].includes((r as { _tag: string })._tag)

/** Values JSON.stringify chokes on: a cycle, and 100,000-deep arrays and objects. */
const hostile = (): unknown[] => {
  const cyclic: Record<string, unknown> = { start: '0x0', size: 1n }
  cyclic.self = cyclic
  cyclic.blocks = [cyclic]
  let deepArray: unknown = []
  let deepObject: unknown = {}
  for (let i = 0; i < 100_000; i++) {
    deepArray = [deepArray]
    deepObject = { start: deepObject, blocks: deepObject }
  }
  return [cyclic, deepArray, deepObject, [cyclic], { blocks: [deepObject] }]
}

describe('never throws', () => {
  it('finds the codecs and parsers to check', () => {
    expect(found.codecs.length).toBeGreaterThan(10)
    expect(found.parsers.map(([n]) => n)).toEqual(
      expect.arrayContaining([
        'mtree.parse',
        'mtree.parseDump',
        'mtree.parseFlat',
        'infoRamblock.parse',
      ]),
    )
  })
  it('every codec decodes anything to an Either', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          maxDepth: 5,
        }),
        (u) => {
          for (const [name, c] of found.codecs) expect(isEither(c.decode(u)), name).toBe(true)
        },
      ),
      { numRuns: Number(process.env.NEVER_THROWS_RUNS ?? 300) },
    )
  })
  it('every codec decodes cycles and 100,000-deep nesting to an Either', () => {
    for (const u of hostile())
      for (const [name, c] of found.codecs) expect(isEither(c.decode(u)), name).toBe(true)
  })
  it('every text parser reads any string to an Either', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            'address-space: memory',
            '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
            '    00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram',
            '    0000000000000000-000000000009ffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-000000000009ffff',
            'FlatView #0',
            ' AS "memory", root: system',
            ' Root memory region: system',
            '  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM',
            '              Block Name    PSize              Offset               Used              Total',
            '                  pc.ram    4 KiB  0x0000000000000000 0x0000000020000000 0x0000000020000000',
            'memory-region: pc.ram',
            '',
            '\r',
            '(qemu) info mtree',
            '...',
          ),
          { maxLength: 12 },
        )
        .map((ls) => ls.join('\n')),
    )
    fc.assert(
      fc.property(text, (t) => {
        for (const [name, p] of found.parsers) expect(isEither(p(t)), name).toBe(true)
      }),
      { numRuns: Number(process.env.NEVER_THROWS_RUNS ?? 300) },
    )
  })
})
