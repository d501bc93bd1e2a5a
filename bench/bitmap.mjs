// Page-bitmap benchmarks: ratios against baselines measured in the same run. Build first
// (`npx tsc -p tsconfig.build.json`), then `node bench/bitmap.mjs`.
//
// 1. Fold a 2^28-page KVM dirty log (32 MiB of little-endian words, ~1% random density
//    plus dense runs) into a ram_addr_t bitmap with foldLeBitmap, versus
//    TypedArray.prototype.set over the same 32 MiB. Goal: >= 0.3x its bandwidth.
// 2. count and a nextSet scan over the folded 2^28-page bitmap, versus the same baseline.
//    Goal: >= 0.3x.
// 3. One-page updates of a 2^28-page bitmap: median time over 10,000 updates (goal <= 10
//    us) and the bytes the 10,000 kept versions retain beyond the original, by the
//    structural count retainedBytes (goal <= 10 MiB).
//
// Times are the best of several runs (the median is shown too). Lines marked "reference"
// have no goal: they show what plain JavaScript loops over one flat Uint32Array (no
// persistence, no allocation) manage on this machine, the floor any JS bitmap works from.
import * as bitmap from '../dist/bitmap/index.js'

const PAGES = 2 ** 28
const must = (e) => {
  if (e._tag === 'Left') throw new Error(e.left.message)
  return e.right
}
const now = () => Number(process.hrtime.bigint()) / 1e6

/** Best and median of `rounds` runs of `fn`, in ms. */
const time = (fn, rounds = 7) => {
  const ts = []
  for (let i = 0; i < rounds; i++) {
    const t0 = now()
    fn()
    ts.push(now() - t0)
  }
  ts.sort((a, b) => a - b)
  return { best: ts[0], median: ts[rounds >> 1] }
}

/** A fixed pseudo-random sequence (xorshift32), so runs compare like with like. */
const xorshift = (seed) => () => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return seed >>> 0
}
/** A random page below 2^28. */
const pageOf = (rnd) => rnd() >>> 4

/** A KVM dirty log of `pages` pages: ~1% of pages at random plus `runs` dense runs. */
const dirtyLog = (pages, seed, runs = 64, runLength = 65536) => {
  const words = new BigUint64Array(Math.ceil(pages / 64))
  const u32 = new Uint32Array(words.buffer)
  const rnd = xorshift(seed)
  for (let i = 0; i < pages / 100; i++) {
    const p = pageOf(rnd) % pages
    u32[p >>> 5] |= 1 << (p & 31)
  }
  for (let r = 0; r < runs; r++) {
    const start = pageOf(rnd) % (pages - runLength)
    u32.fill(0xffffffff, Math.ceil(start / 32), Math.floor((start + runLength) / 32))
  }
  return words
}

const GB = (bytes, ms) => `${(bytes / ms / 1e6).toFixed(2)} GB/s`
const verdict = (ok) => (ok ? 'OK' : 'BELOW GOAL')
/** One result line: `goal` a minimum ratio, or undefined for a reference line. */
const line = (what, t, baseMs, bytes, goal) => {
  const ratio = baseMs / t.best
  const tail = goal === undefined ? '(reference)' : `(goal >= ${goal}x) ${verdict(ratio >= goal)}`
  console.log(
    `  ${what.padEnd(46)} ${t.best.toFixed(2).padStart(7)} ms (median ${t.median.toFixed(2).padStart(7)}) ${GB(bytes, t.best).padStart(11)} = ${ratio.toFixed(2)}x ${tail}`,
  )
  return ratio
}

const t0 = now()
const log = dirtyLog(PAGES, 42)
const log2 = dirtyLog(PAGES, 7)
const bytes = log.byteLength
const dst = new BigUint64Array(log.length)
const base = time(() => dst.set(log), 11)
const baseline = base.best
console.log(
  `baseline: TypedArray.prototype.set over ${bytes / 2 ** 20} MiB (2^28 pages): ${baseline.toFixed(2)} ms (median ${base.median.toFixed(2)}) ${GB(bytes, baseline)}`,
)
const flat = new Uint32Array(log.buffer)
const flatDst = new Uint32Array(dst.buffer)

// --- 1. fold
const empty = must(bitmap.empty(PAGES))
let folded
console.log('fold a 2^28-page dirty log into a ram_addr_t bitmap (foldLeBitmap):')
line(
  'into an empty bitmap, word-aligned',
  time(() => (folded = must(bitmap.foldLeBitmap(log, 0)(empty)))),
  baseline,
  bytes,
  0.3,
)
const populated = must(bitmap.foldLeBitmap(log2, 0)(empty))
line(
  'into a populated bitmap, word-aligned',
  time(() => must(bitmap.foldLeBitmap(log, 0)(populated))),
  baseline,
  bytes,
  0.3,
)
line(
  'into an empty bitmap at page 3 (unaligned)',
  time(() => must(bitmap.foldLeBitmap(log, 3, PAGES - 64)(empty)), 3),
  baseline,
  bytes,
)
const orFlat = (a, b) => {
  for (let i = 0; i < a.length; i++) b[i] |= a[i]
}
line(
  'plain JS OR loop into a flat array',
  time(() => orFlat(flat, flatDst)),
  baseline,
  bytes,
)
const setCount = bitmap.count(folded)
console.log(
  `  (${setCount} pages set, ${((setCount / PAGES) * 100).toFixed(2)}%; folding the same log again returns the same bitmap: ${must(bitmap.foldLeBitmap(log, 0)(folded)) === folded})`,
)

// --- 2. count and scan
console.log('count and scan the folded 2^28-page bitmap:')
let n = 0
line(
  'count',
  time(() => (n = bitmap.count(folded))),
  baseline,
  bytes,
  0.3,
)
const scan = () => {
  let k = 0
  const bm = folded
  for (let p = bitmap.nextSet(0)(bm); p._tag === 'Some'; p = bitmap.nextSet(p.value + 1)(bm)) k++
  return k
}
let scanned = 0
line(
  'nextSet scan (one nextSet call per set page)',
  time(() => (scanned = scan()), 3),
  baseline,
  bytes,
  0.3,
)
let reduced = 0
line(
  'reducePages (visits every set page)',
  time(() => (reduced = bitmap.reducePages(0, (k) => k + 1)(folded)), 3),
  baseline,
  bytes,
)
let runCount = 0
line(
  'runs (builds every maximal run)',
  time(() => (runCount = bitmap.runs(folded).length), 3),
  baseline,
  bytes,
)
const T = new Uint8Array(65536)
for (let i = 1; i < 65536; i++) T[i] = (i & 1) + T[i >>> 1]
const popFlat = (a) => {
  let c = 0
  for (let i = 0; i < a.length; i++) c += T[a[i] & 0xffff] + T[a[i] >>> 16]
  return c
}
line(
  'plain JS popcount of a flat array',
  time(() => popFlat(flat)),
  baseline,
  bytes,
)
const bitsFlat = (a) => {
  let c = 0
  for (let i = 0; i < a.length; i++) {
    let x = a[i]
    while (x !== 0) {
      x &= x - 1
      c++
    }
  }
  return c
}
line(
  'plain JS visit of every set bit of a flat array',
  time(() => bitsFlat(flat), 3),
  baseline,
  bytes,
)
if (scanned !== n || reduced !== n) throw new Error(`scan found ${scanned}/${reduced}, count ${n}`)
console.log(`  (${n} set pages in ${runCount} runs)`)

// --- 3. one-page updates
const UPDATES = 10_000
const rnd = xorshift(99)
const pages = Array.from({ length: UPDATES }, () => pageOf(rnd))
const times = new Float64Array(UPDATES)
const versions = new Array(UPDATES)
let bm = folded
for (let i = 0; i < UPDATES; i++) {
  const page = pages[i]
  const a = process.hrtime.bigint()
  const next = bitmap.set(page)(bm)
  times[i] = Number(process.hrtime.bigint() - a) / 1e3
  bm = must(next)
  versions[i] = bm
}
times.sort()
const median = times[UPDATES >> 1]
const p99 = times[Math.floor(UPDATES * 0.99)]
const extra = bitmap.retainedBytes([folded, ...versions]) - bitmap.retainedBytes([folded])
console.log(`one-page updates of the 2^28-page bitmap (${UPDATES}, each kept):`)
console.log(
  `  set(page): median ${median.toFixed(2)} us, p99 ${p99.toFixed(2)} us (goal <= 10 us) ${verdict(median <= 10)}`,
)
console.log(
  `  retained beyond the original: ${(extra / 2 ** 20).toFixed(2)} MiB, ${(extra / UPDATES).toFixed(0)} B per version (goal <= 10 MiB) ${verdict(extra <= 10 * 2 ** 20)}`,
)
if (bitmap.count(folded) !== n) throw new Error('the original changed')
console.log(`(total ${((now() - t0) / 1000).toFixed(1)} s)`)
