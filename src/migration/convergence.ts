/**
 * Whether precopy converges, and how fast: pure arithmetic on the dirty rate and the
 * bandwidth, as QEMU's `migration_iteration_run` decides to stop iterating once the
 * remaining dirty bytes can be sent within the downtime limit
 * (`pending_size <= threshold_size`, threshold = bandwidth × downtime).
 *
 * @module
 */

/** The guest and link parameters. */
export interface PrecopyParams {
  /** Dirty pages at the start (all of RAM in the first pass). */
  readonly initialPages: number
  /** Pages the guest dirties per second. */
  readonly dirtyPagesPerSecond: number
  /** Link bandwidth in bytes per second. */
  readonly bandwidthBytesPerSecond: number
  /** Allowed downtime in seconds (QEMU's default `downtime-limit` is 0.3 s). */
  readonly downtimeSeconds: number
  readonly pageSize?: number
  /** Give up after this many passes (default 30). */
  readonly maxRounds?: number
}

/** One pass. */
export interface PrecopyRound {
  readonly round: number
  /** Pages sent in the pass. */
  readonly pages: number
  /** Seconds the pass took. */
  readonly seconds: number
}

/** The passes, and whether the remainder fits the downtime. */
export interface PrecopyEstimate {
  readonly rounds: ReadonlyArray<PrecopyRound>
  readonly converged: boolean
  /** Pages left for the stop-and-copy phase. */
  readonly finalPages: number
  /** Seconds the stop-and-copy phase takes. */
  readonly downtime: number
}

/**
 * Simulates precopy passes: each pass sends the pages dirty at its start, during which the
 * guest dirties `rate × time` pages (at most all of RAM); stop when what is left can be
 * sent within the downtime limit, or when passes stop shrinking.
 *
 * @example
 * import * as migration from 'ramaddr/migration'
 * // 4 GiB guest, 10 Gbit/s, dirtying 20k pages/s: converges in a few passes
 * const e = migration.convergence.estimate({ initialPages: 1 << 20, dirtyPagesPerSecond: 20000, bandwidthBytesPerSecond: 1.25e9, downtimeSeconds: 0.3 })
 * assert.equal(e.converged, true)
 * // dirtying faster than the link can carry never converges
 * const f = migration.convergence.estimate({ initialPages: 1 << 20, dirtyPagesPerSecond: 400000, bandwidthBytesPerSecond: 1.25e9, downtimeSeconds: 0.3 })
 * assert.equal(f.converged, false)
 */
export const estimate = (p: PrecopyParams): PrecopyEstimate => {
  const pageSize = p.pageSize ?? 4096
  const pagesPerSecond = p.bandwidthBytesPerSecond / pageSize
  const threshold = pagesPerSecond * p.downtimeSeconds
  const rounds: PrecopyRound[] = []
  let pending = p.initialPages
  const max = p.maxRounds ?? 30
  for (let r = 1; r <= max; r++) {
    if (pending <= threshold && r > 1) break
    const seconds = pending / pagesPerSecond
    rounds.push({ round: r, pages: pending, seconds })
    const next = Math.min(p.initialPages, Math.ceil(p.dirtyPagesPerSecond * seconds))
    if (r > 1 && next >= pending) {
      pending = next
      break
    }
    pending = next
  }
  return {
    rounds,
    converged: pending <= threshold,
    finalPages: pending,
    downtime: pending / pagesPerSecond,
  }
}
