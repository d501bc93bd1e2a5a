// Benchmarks: ratios against plain baselines measured in the same run (never absolute
// times alone). Run with `npm run bench` (builds first).
//
// 1. Lookup: GPA -> ram_addr_t through the library (translate) versus a bare binary
//    search over the same range starts in a BigUint64Array, on the recorded Q35 view and
//    on a synthetic 10k-range view. Goal: library >= 0.5x the bare search; issue 16:
//    translationOfGpa (the full answer) >= 0.67x, the batch at parity (>= 1.0x).
// 2. Render: a synthetic 10k-region tree (goal <= 50 ms), and 1k / 10k / 100k-region
//    trees (goal, issue 16: each 10x the regions costs <= 11x the time), timed as batches
//    of equal work with a GC and a warm-up run before each (bench/growth.mjs).
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mtree, infoRamblock, translate, topology, flatview, ramblock, Gpa } from '../dist/index.js'
import { batches } from './growth.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const must = (e) => {
  if (e._tag === 'Left') throw new Error(e.left.message)
  return e.right
}
const now = () => Number(process.hrtime.bigint()) / 1e6

/** Best of `rounds` runs of `fn(iterations)`, in ms. */
const best = (fn, rounds = 7) => {
  let min = Infinity
  for (let i = 0; i < rounds; i++) {
    const t0 = now()
    fn()
    min = Math.min(min, now() - t0)
  }
  return min
}

/** A fixed pseudo-random sequence, so runs compare like with like. */
const lcg = (seed) => () => ((seed = (seed * 1103515245 + 12345) >>> 0), seed)

const bareSearch = (starts, addrs) => () => {
  let acc = 0
  for (let k = 0; k < addrs.length; k++) {
    const a = addrs[k]
    let lo = 0
    let hi = starts.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (starts[mid] <= a) lo = mid + 1
      else hi = mid
    }
    acc += lo
  }
  return acc
}

const libraryLookup = (map, addrs) => () => {
  let acc = 0n
  for (let k = 0; k < addrs.length; k++) {
    const x = translate.ramAddrOfGpa(addrs[k])(map)
    if (x._tag === 'Some') acc += x.value
  }
  return acc
}

const libraryLookupFn = (map, addrs) => () => {
  const lookup = translate.ramAddrLookup(map)
  let acc = 0n
  for (let k = 0; k < addrs.length; k++) {
    const x = lookup(addrs[k])
    if (x._tag === 'Some') acc += x.value
  }
  return acc
}

const libraryBatch = (map, batch) => () => translate.ramAddrsOfGpas(batch)(map)

const libraryTranslate = (map, addrs) => () => {
  let acc = 0n
  for (let k = 0; k < addrs.length; k++) {
    const x = translate.translationOfGpa(addrs[k])(map)
    if (x._tag === 'Ram') acc += x.ramAddr
  }
  return acc
}

const lookupBench = (label, map, n = 200_000) => {
  const rnd = lcg(42)
  const ranges = map.view.ranges
  const addrs = Array.from({ length: n }, () => {
    const r = ranges[rnd() % ranges.length]
    const span = r.end - r.start
    return Gpa.unsafe(r.start + ((BigInt(rnd()) * 4096n) % (span > 0n ? span : 1n)))
  })
  const starts = map.view.starts
  const bare = best(bareSearch(starts, addrs))
  const batch = BigUint64Array.from(addrs)
  const mps = (ms) => (((n / ms) * 1e3) / 1e6).toFixed(2)
  // [what, ms, goal as a ratio to the bare search, or undefined]
  const rows = [
    ['ramAddrOfGpa(gpa)(map), curried', best(libraryLookup(map, addrs))],
    ['ramAddrLookup(map)(gpa), prebuilt', best(libraryLookupFn(map, addrs))],
    ['ramAddrsOfGpas(gpas)(map), batch', best(libraryBatch(map, batch)), 1.0],
    ['translationOfGpa(gpa)(map), full answer', best(libraryTranslate(map, addrs)), 0.67],
  ]
  console.log(
    `lookup ${label}: ${ranges.length} ranges, ${n} GPAs; bare BigUint64Array binary search ${mps(bare)} M/s`,
  )
  for (const [what, ms, goal] of rows)
    console.log(
      `  ${what.padEnd(36)} ${mps(ms).padStart(6)} M/s = ${(bare / ms).toFixed(2)}x the bare search` +
        (goal === undefined
          ? ''
          : ` (goal >= ${goal}x) ${bare / ms >= goal ? 'OK' : 'BELOW GOAL'}`),
    )
  const ratio = Math.max(...rows.map(([, ms]) => bare / ms))
  console.log(
    `  best library path ${ratio.toFixed(2)}x (goal >= 0.5x) ${ratio >= 0.5 ? 'OK' : 'BELOW GOAL'}`,
  )
  return ratio
}

// --- 1a. the recorded Q35 machine
const dir = join(ROOT, 'test/fixtures/qemu-7.2/q35-512m-vga-net')
const q35 = must(
  translate.make({
    topology: must(mtree.parse(readFileSync(join(dir, '08-mtree-D.txt'), 'utf8'))),
    ramList: must(infoRamblock.parse(readFileSync(join(dir, '08-ramblock.txt'), 'utf8'))),
  }),
)
lookupBench('Q35 (recorded)', q35)

// --- synthetic machines: `n` leaves under containers of 100, some overlapping I/O, aliases
const synthetic = (n) => {
  const specs = [{ name: 'system', kind: 'container', size: 1n << 64n }]
  const blocks = []
  const groups = Math.ceil(n / 100)
  for (let g = 0; g < groups; g++) {
    const parent = specs.length
    specs.push({
      name: `bus${g}`,
      kind: 'container',
      size: 0x10000000n,
      parent: 0,
      addr: BigInt(g) * 0x10000000n,
    })
    for (let i = 0; i < 100 && specs.length < n; i++) {
      const name = `r${g}.${i}`
      if (i % 10 === 9) {
        // an I/O window over the RAM below it, at a higher priority
        specs.push({
          name,
          kind: 'io',
          size: 0x800n,
          parent,
          addr: BigInt(i - 1) * 0x100000n + 0x1000n,
          priority: 1,
        })
      } else {
        specs.push({
          name,
          kind: 'ram',
          size: 0x100000n,
          parent,
          addr: BigInt(i) * 0x100000n,
          ramBlock: name,
        })
        blocks.push({ idstr: name, usedLength: 0x100000n })
      }
    }
  }
  // a few aliases of RAM elsewhere, as ram-above-4g does
  for (let a = 0; a < 8 && specs.length < n + 8; a++)
    specs.push({
      name: `alias${a}`,
      kind: 'alias',
      size: 0x80000n,
      parent: 0,
      addr: 0x8000000000n + BigInt(a) * 0x100000n,
      aliasOf: 2 + a,
      priority: 2,
    })
  const t = must(topology.fromRegions(specs, [{ name: 'memory', root: 0 }]))
  return { t, blocks }
}

// --- 1b. a synthetic 10k-range view
{
  const { t, blocks } = synthetic(10_000)
  const t0 = now()
  const list = must(ramblock.addAll(blocks)(ramblock.empty()))
  console.log(
    `(allocating ${blocks.length} RAMBlocks as QEMU does took ${(now() - t0).toFixed(0)} ms)`,
  )
  const map = must(translate.make({ topology: t, ramList: list }))
  lookupBench('synthetic', map)
}

// --- 2. render
// 1k, 10k and 100k regions: each 10x the regions should cost at most 11x the time (issue
// 16; sorting alone would be about 13x, so the rest must be linear). Timed as batches of
// equal work (100 renders of 1k, 10 of 10k, 1 of 100k), a GC and a warm-up run before each, the sizes
// interleaved, best of 9 (bench/growth.mjs): one 100k render alone is long enough to be
// preempted on a loaded machine where a 1k one is not.
const renderCase = (n) => {
  const { t } = synthetic(n)
  const root = t.addressSpaces[0].root
  let ranges = 0
  return {
    fn: () => {
      ranges = flatview.render(root)(t).length
    },
    reps: 100_000 / n,
    regions: t.regions.size,
    ranges: () => ranges,
  }
}
const renderCases = [1_000, 10_000, 100_000].map(renderCase)
const renderTimes = batches(renderCases, 9)
const [tiny, small, large] = renderCases.map((c, i) => ({
  ms: renderTimes[i].wall,
  cpu: renderTimes[i].cpu,
  ranges: c.ranges(),
  regions: c.regions,
}))
console.log(
  `render: ${small.regions} regions -> ${small.ranges} ranges in ${small.ms.toFixed(1)} ms (goal <= 50 ms) ${small.ms <= 50 ? 'OK' : 'ABOVE GOAL'}`,
)
for (const [a, b] of [
  [tiny, small],
  [small, large],
])
  console.log(
    `render: ${a.regions} -> ${b.regions} regions: ${(b.regions / a.regions).toFixed(1)}x the regions cost ${(b.ms / a.ms).toFixed(1)}x the time (${a.ms.toFixed(1)} -> ${b.ms.toFixed(1)} ms; CPU time ${(b.cpu / a.cpu).toFixed(1)}x; goal <= 11x) ${b.ms / a.ms <= 11 ? 'OK' : 'ABOVE GOAL'}`,
  )

// --- 3. parse: `info mtree -D` text of the synthetic 100k-region machine (printed by
// mtree.print, so QEMU's format) through mtree.parse, against a plain scan of the same
// lines (split, one regex per line, BigInt of both addresses): the least any parser does.
// Goal (issue 16): at least half the plain scan's speed.
{
  const { t } = synthetic(100_000)
  const text = mtree.print({ eol: '\n' })(t)
  const LINE = /^( *)([0-9a-f]{16})-([0-9a-f]{16}) \(prio (-?[0-9]+), ([a-z/-]+)\): (.*)$/
  let found = 0
  const scan = best(() => {
    found = 0
    for (const line of text.split('\n')) {
      const m = LINE.exec(line)
      if (m !== null) {
        BigInt('0x' + m[2])
        BigInt('0x' + m[3])
        found++
      }
    }
  }, 5)
  let regions = 0
  const parse = best(() => {
    regions = must(mtree.parse(text)).regions.size
  }, 5)
  const mb = text.length / 1e6
  const ratio = scan / parse
  console.log(
    `parse: info mtree -D of ${regions} regions (${mb.toFixed(1)} MB, ${found} region lines): plain line scan ${(mb / (scan / 1000)).toFixed(0)} MB/s; mtree.parse ${(mb / (parse / 1000)).toFixed(0)} MB/s = ${ratio.toFixed(2)}x the scan (goal >= 0.5x) ${ratio >= 0.5 ? 'OK' : 'BELOW GOAL'}`,
  )
}

// --- 4. building a flat container: 10k and 100k children of one region through
// topology.fromRegions (every child is in one subregion list, as a huge PCI bus has).
// Goal: 10x the children costs at most 15x the time (it was quadratic).
{
  const flat = (n) => {
    const specs = [{ name: 'system', kind: 'container', size: 1n << 64n }]
    for (let i = 0; i < n; i++)
      specs.push({
        name: `r${i}`,
        kind: 'ram',
        size: 0x1000n,
        parent: 0,
        addr: BigInt(i) * 0x1000n,
      })
    return best(() => must(topology.fromRegions(specs)), 3)
  }
  const a = flat(10_000)
  const b = flat(100_000)
  console.log(
    `fromRegions: one container of 10,000 children ${a.toFixed(1)} ms, of 100,000 ${b.toFixed(1)} ms: ${(b / a).toFixed(1)}x (goal <= 15x) ${b / a <= 15 ? 'OK' : 'ABOVE GOAL'}`,
  )
}
