/**
 * A RamDiscardManager in the style of virtio-mem: one RAMBlock cut into `blockSize`
 * units, each plugged (populated) or unplugged (discarded), the guest's plug and unplug
 * requests as events, and the populate/discard notifications registered listeners (VFIO,
 * migration) receive. Everything is a value: folding requests returns the new state and
 * the notifications, in order.
 *
 * Follows QEMU hw/virtio/virtio-mem.c: `virtio_mem_valid_range` (aligned to the block
 * size, nonzero, inside the usable region), `virtio_mem_state_change_request` (NACK when a
 * plug would exceed the requested size; ERROR unless every unit of the range is in the
 * opposite state; then the state flips) and `virtio_mem_unplug_all`; the notification rules
 * of include/exec/memory.h (`RamDiscardListener`: notifications clipped to each listener's
 * registered section; on unplug-all a listener with `double_discard_supported` gets one
 * discard of its whole section, others one per plugged run). Offsets are within the
 * RAMBlock (the memory region `memdev` backs), not GPAs.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { toHex } from '../addresses/hex.js'
import { PageIndex } from '../addresses/kinds.js'
import * as bitmap from '../bitmap/index.js'
import type { PageBitmap } from '../bitmap/index.js'

/** Units of one discard-managed RAMBlock. */
export interface DiscardManager {
  /** The RAMBlock's idstr. */
  readonly block: string
  /** The plug granularity (virtio-mem `block_size`, at least 1 MiB), a power of two. */
  readonly blockSize: bigint
  /** Bytes the guest may plug, from offset 0 (`usable_region_size`). */
  readonly usableSize: bigint
  /** Bytes the host asks for (`requested_size`); plugs beyond it are NACKed. */
  readonly requestedSize: bigint
  /** One bit per unit: set = plugged. */
  readonly plugged: PageBitmap
  /** Registered listeners, in registration order. */
  readonly listeners: ReadonlyArray<DiscardListener>
}

/** A registered listener: its name, its section of the block, and how it takes discards. */
export interface DiscardListener {
  readonly name: string
  /** The part of the block it watches: `[start, end)` offsets. */
  readonly start: bigint
  readonly end: bigint
  /** `double_discard_supported`: it accepts a discard of memory it never saw populated. */
  readonly doubleDiscard: boolean
}

/** A guest request or a host action. */
export type DiscardEvent =
  | { readonly _tag: 'Plug'; readonly offset: bigint; readonly size: bigint }
  | { readonly _tag: 'Unplug'; readonly offset: bigint; readonly size: bigint }
  | { readonly _tag: 'UnplugAll' }

/** A notification to one listener, clipped to its section. */
export interface DiscardNotification {
  readonly listener: string
  readonly kind: 'populate' | 'discard'
  readonly start: bigint
  readonly end: bigint
}

/** virtio-mem's response to a request. */
export type DiscardResponse = 'ACK' | 'NACK' | 'ERROR'

/** Bad parameters for a manager. */
export interface InvalidDiscardManager {
  readonly _tag: 'InvalidDiscardManager'
  readonly message: string
}

/**
 * A manager with every unit unplugged (a virtio-mem device at creation).
 *
 * @example
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const d = confidential.discard.make({ block: 'mem0', blockSize: 0x200000n, usableSize: 0x40000000n, requestedSize: 0x400000n })
 * assert.ok(either.isRight(d))
 * const r = confidential.discard.apply({ _tag: 'Plug', offset: 0x200000n, size: 0x400000n })(d.right)
 * assert.equal(r.response, 'ACK')
 * assert.deepEqual(confidential.discard.populated(0n, 0x40000000n)(r.state), [{ start: 0x200000n, end: 0x600000n }])
 * // A second plug would exceed the requested 4 MiB: NACK, nothing changes.
 * assert.equal(confidential.discard.apply({ _tag: 'Plug', offset: 0n, size: 0x200000n })(r.state).response, 'NACK')
 */
export const make = (p: {
  readonly block: string
  readonly blockSize: bigint
  readonly usableSize: bigint
  readonly requestedSize?: bigint
  readonly listeners?: ReadonlyArray<DiscardListener>
}): E.Either<InvalidDiscardManager, DiscardManager> => {
  const fail = (message: string): E.Either<InvalidDiscardManager, never> =>
    E.left({ _tag: 'InvalidDiscardManager', message: `discard manager ${p.block}: ${message}` })
  if (p.blockSize <= 0n || (p.blockSize & (p.blockSize - 1n)) !== 0n)
    return fail(`block size ${toHex(p.blockSize)} is not a power of two`)
  if (p.usableSize < 0n || p.usableSize % p.blockSize !== 0n)
    return fail(
      `usable size ${toHex(p.usableSize)} is not a multiple of the block size ${toHex(p.blockSize)}`,
    )
  const units = p.usableSize / p.blockSize
  if (units > 2n ** 40n) return fail(`${units} units are more than this model keeps`)
  for (const l of p.listeners ?? [])
    if (l.start < 0n || l.end < l.start || l.end > p.usableSize)
      return fail(
        `listener ${l.name}'s section ${toHex(l.start)}-${toHex(l.end)} is outside the block`,
      )
  const plugged = bitmap.empty(Number(units))
  if (E.isLeft(plugged)) return fail(plugged.left.message)
  return E.right({
    block: p.block,
    blockSize: p.blockSize,
    usableSize: p.usableSize,
    requestedSize: p.requestedSize ?? p.usableSize,
    plugged: plugged.right,
    listeners: p.listeners ?? [],
  })
}

/** Bytes plugged now (virtio-mem `size`). */
export const pluggedSize = (d: DiscardManager): bigint =>
  BigInt(bitmap.count(d.plugged)) * d.blockSize

const runsIn = (
  d: DiscardManager,
  start: bigint,
  end: bigint,
  wantPlugged: boolean,
): ReadonlyArray<{ readonly start: bigint; readonly end: bigint }> => {
  const out: Array<{ start: bigint; end: bigint }> = []
  // the bitmap's pages are the manager's units (block-size pieces of the block)
  const lo = PageIndex.unsafe(Number(start / d.blockSize))
  const hi = PageIndex.unsafe(
    Math.min(Number((end + d.blockSize - 1n) / d.blockSize), d.plugged.pages),
  )
  const find = (want: boolean, from: PageIndex): PageIndex =>
    O.getOrElse(() => hi)((want ? bitmap.nextSet(from) : bitmap.nextClear(from))(d.plugged))
  for (let p = lo; p < hi;) {
    const s = find(wantPlugged, p)
    if (s >= hi) break
    const e = PageIndex.unsafe(Math.min(find(!wantPlugged, s), hi))
    const bs = BigInt(s) * d.blockSize
    const be = BigInt(e) * d.blockSize
    out.push({ start: bs > start ? bs : start, end: be < end ? be : end })
    p = e
  }
  return out
}

/**
 * The maximal plugged runs inside `[start, end)`, clipped to it (`replay_populated`).
 */
export const populated =
  (start: bigint, end: bigint) =>
  (d: DiscardManager): ReadonlyArray<{ readonly start: bigint; readonly end: bigint }> =>
    runsIn(d, start, end < d.usableSize ? end : d.usableSize, true)

/**
 * The maximal unplugged runs inside `[start, end)`, clipped to it (`replay_discarded`).
 */
export const discarded =
  (start: bigint, end: bigint) =>
  (d: DiscardManager): ReadonlyArray<{ readonly start: bigint; readonly end: bigint }> =>
    runsIn(d, start, end < d.usableSize ? end : d.usableSize, false)

/** Whether every byte of `[start, end)` is plugged (`is_populated`, widened to units). */
export const isPopulated =
  (start: bigint, end: bigint) =>
  (d: DiscardManager): boolean => {
    const s = (start / d.blockSize) * d.blockSize
    const e = ((end + d.blockSize - 1n) / d.blockSize) * d.blockSize
    if (e > d.usableSize || s >= e) return false
    return discarded(s, e)(d).length === 0
  }

const notify = (
  d: DiscardManager,
  kind: DiscardNotification['kind'],
  start: bigint,
  end: bigint,
): ReadonlyArray<DiscardNotification> =>
  d.listeners.flatMap((l) => {
    const s = start > l.start ? start : l.start
    const e = end < l.end ? end : l.end
    return s < e ? [{ listener: l.name, kind, start: s, end: e }] : []
  })

/** The result of one event: virtio-mem's answer, the new state and the notifications. */
export interface DiscardStep {
  readonly response: DiscardResponse
  readonly state: DiscardManager
  readonly notifications: ReadonlyArray<DiscardNotification>
}

/** Applies one event as virtio-mem does. */
export const apply =
  (ev: DiscardEvent) =>
  (d: DiscardManager): DiscardStep => {
    const unchanged = (response: DiscardResponse): DiscardStep => ({
      response,
      state: d,
      notifications: [],
    })
    if (ev._tag === 'UnplugAll') {
      const notifications = d.listeners.flatMap((l) =>
        l.doubleDiscard
          ? l.start < l.end
            ? [{ listener: l.name, kind: 'discard' as const, start: l.start, end: l.end }]
            : []
          : populated(
              l.start,
              l.end,
            )(d).map((r) => ({
              listener: l.name,
              kind: 'discard' as const,
              ...r,
            })),
      )
      const cleared = bitmap.clearRange(
        PageIndex.unsafe(0),
        PageIndex.unsafe(d.plugged.pages),
      )(d.plugged)
      return {
        response: 'ACK',
        state: E.isRight(cleared) ? { ...d, plugged: cleared.right } : d,
        notifications,
      }
    }
    const { offset, size } = ev
    const plug = ev._tag === 'Plug'
    if (
      size <= 0n ||
      offset < 0n ||
      offset % d.blockSize !== 0n ||
      size % d.blockSize !== 0n ||
      offset >= d.usableSize ||
      offset + size > d.usableSize
    )
      return unchanged('ERROR')
    if (plug && pluggedSize(d) + size > d.requestedSize) return unchanged('NACK')
    const lo = PageIndex.unsafe(Number(offset / d.blockSize))
    const hi = PageIndex.unsafe(Number((offset + size) / d.blockSize))
    const inState = E.getOrElse(() => -1)(bitmap.countRange(lo, hi)(d.plugged))
    if (inState !== (plug ? 0 : hi - lo)) return unchanged('ERROR')
    const next = (plug ? bitmap.setRange(lo, hi) : bitmap.clearRange(lo, hi))(d.plugged)
    if (E.isLeft(next)) return unchanged('ERROR')
    return {
      response: 'ACK',
      state: { ...d, plugged: next.right },
      notifications: notify(d, plug ? 'populate' : 'discard', offset, offset + size),
    }
  }

/**
 * Folds events in order: the final state and every step's response and notifications.
 *
 * @example
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * const d = confidential.discard.make({ block: 'mem0', blockSize: 0x100000n, usableSize: 0x800000n,
 *   listeners: [{ name: 'vfio', start: 0n, end: 0x800000n, doubleDiscard: true }] })
 * assert.ok(either.isRight(d))
 * const r = confidential.discard.fold([
 *   { _tag: 'Plug', offset: 0n, size: 0x300000n },
 *   { _tag: 'Unplug', offset: 0x100000n, size: 0x100000n },
 *   { _tag: 'Unplug', offset: 0x100000n, size: 0x100000n }, // already unplugged: ERROR
 * ])(d.right)
 * assert.deepEqual(r.responses, ['ACK', 'ACK', 'ERROR'])
 * assert.deepEqual(r.notifications.map((n) => [n.kind, n.start, n.end]),
 *   [['populate', 0n, 0x300000n], ['discard', 0x100000n, 0x200000n]])
 */
export const fold =
  (events: ReadonlyArray<DiscardEvent>) =>
  (
    d: DiscardManager,
  ): {
    readonly state: DiscardManager
    readonly responses: ReadonlyArray<DiscardResponse>
    readonly notifications: ReadonlyArray<DiscardNotification>
  } => {
    let state = d
    const responses: DiscardResponse[] = []
    const notifications: DiscardNotification[] = []
    for (const ev of events) {
      const step = apply(ev)(state)
      state = step.state
      responses.push(step.response)
      notifications.push(...step.notifications)
    }
    return { state, responses, notifications }
  }
