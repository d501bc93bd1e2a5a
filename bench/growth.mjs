// How a cost grows with size, measured so that machine load does not inflate the ratio:
// - every size runs as a batch of the same total work (the smaller sizes repeated), so
//   a batch of the small size is as long as one of the large and meets the same load;
// - a young-generation GC before each batch, so no batch pays for the garbage of the one
//   before (a full GC instead leaves old-space sweeping behind that slowed the next
//   few milliseconds 2-5x, which a short batch of the small size could not absorb), then
//   one untimed run, so the batch times warm code (a GC can make V8 drop optimised code
//   that embeds objects it freed);
// - sizes interleaved round by round, and the best of `rounds` per size;
// - wall time, and CPU time beside it (user + system of all threads, which time spent
//   waiting for a core does not add to).
import { setFlagsFromString } from 'node:v8'
import { performance } from 'node:perf_hooks'
import { runInNewContext } from 'node:vm'
import { setTimeout as sleep } from 'node:timers/promises'

setFlagsFromString('--expose-gc')
/** A full garbage collection; `gc({ type: 'minor' })` collects the young generation only. */
export const gc = runInNewContext('gc')

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e3
}

/**
 * Best per-run wall and CPU ms of each case, each case `{ fn, reps }` timed as `reps`
 * runs of `fn` in one batch.
 */
export const batches = (cases, rounds = 7) => {
  const best = cases.map(() => ({ wall: Infinity, cpu: Infinity }))
  for (let r = 0; r < rounds; r++)
    cases.forEach((c, i) => {
      gc({ type: 'minor' })
      timeBatch(c, best[i])
    })
  return best
}

/** One untimed run of `fn`, then `reps` timed runs; keeps the best per-run times in `b`. */
const timeBatch = ({ fn, reps }, b) => {
  fn()
  const c0 = cpuMs()
  const w0 = performance.now()
  for (let k = 0; k < reps; k++) fn()
  b.wall = Math.min(b.wall, (performance.now() - w0) / reps)
  b.cpu = Math.min(b.cpu, (cpuMs() - c0) / reps)
}

/**
 * {@link batches} for sizes whose answers outlive the young generation (a 100k-range
 * render answers about 15 MB): before each batch a full GC and a pause for its sweeping
 * to finish, so no batch pays for the old-generation garbage the batch before it promoted.
 * With the minor GC of {@link batches} alone, the same 100k render timed twice in a row
 * took 1.12x and 1.24x as long the second time (two runs); with this, 0.99x and 1.01x.
 * Then one untimed run re-warms the code the GC may have dropped. Asynchronous (the pause).
 */
export const settledBatches = async (cases, rounds = 7, pause = 30) => {
  const best = cases.map(() => ({ wall: Infinity, cpu: Infinity }))
  for (let r = 0; r < rounds; r++)
    for (const [i, c] of cases.entries()) {
      gc()
      await sleep(pause) // the event loop idles: the sweeper threads finish
      timeBatch(c, best[i])
    }
  return best
}

/**
 * Growth from `small` (size n) to `big` (size `factor` n): `{ wall, cpu, smallMs, bigMs }`,
 * ratios of the best times of equal-work batches.
 */
export const growth = (big, small, factor = 10, rounds = 7) => {
  const [s, b] = batches(
    [
      { fn: small, reps: factor },
      { fn: big, reps: 1 },
    ],
    rounds,
  )
  return { wall: b.wall / s.wall, cpu: b.cpu / s.cpu, smallMs: s.wall, bigMs: b.wall }
}
