/**
 * The reverse map QEMU does not keep: `ram_addr_t` -> every GPA that maps it now. Built
 * once per flat view from its RAM-backed ranges, as `guest_phys_blocks_append`
 * (softmmu/memory_mapping.c) walks them; one `ram_addr_t` may have zero, one or several
 * GPAs (pc.bios at 0xE0000 through `isa-bios` and at 0xFFFC0000).
 *
 * @module
 */
import type { Gpa, RamAddr } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import type { FlatRange } from '../flatview/flat-range.js'

/** One RAM-backed piece of a view: `[ramStart, ramEnd)` appears at `gpaStart`. */
export interface RamWindow {
  readonly ramStart: bigint
  readonly ramEnd: bigint
  readonly gpaStart: bigint
  readonly range: FlatRange
}

/** Windows sorted by `ramStart`, with the running maximum of `ramEnd` for pruning. */
export interface ReverseIndex {
  readonly windows: ReadonlyArray<RamWindow>
  readonly maxEnd: ReadonlyArray<bigint>
}

/** Builds the index from windows in any order. */
export const buildReverseIndex = (windows: ReadonlyArray<RamWindow>): ReverseIndex => {
  const sorted = [...windows].sort((a, b) =>
    a.ramStart < b.ramStart ? -1 : a.ramStart > b.ramStart ? 1 : a.gpaStart < b.gpaStart ? -1 : 1,
  )
  const maxEnd: bigint[] = []
  let m = 0n
  for (const w of sorted) {
    if (w.ramEnd > m) m = w.ramEnd
    maxEnd.push(m)
  }
  return { windows: sorted, maxEnd }
}

/** Windows overlapping `[start, end)` of `ram_addr_t` space, in `ram_addr_t` order. */
export const windowsOverlapping =
  (start: bigint, end: bigint) =>
  (index: ReverseIndex): ReadonlyArray<RamWindow> => {
    // last window starting before `end`
    let lo = 0
    let hi = index.windows.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((index.windows[mid] as RamWindow).ramStart < end) lo = mid + 1
      else hi = mid
    }
    const out: RamWindow[] = []
    for (let i = lo - 1; i >= 0 && (index.maxEnd[i] as bigint) > start; i--) {
      const w = index.windows[i] as RamWindow
      if (w.ramEnd > start) out.push(w)
    }
    return out.reverse()
  }

/** Every GPA that maps `addr`, in ascending GPA order. */
export const gpasOf =
  (addr: RamAddr) =>
  (index: ReverseIndex): ReadonlyArray<Gpa> =>
    windowsOverlapping(
      addr,
      addr + 1n,
    )(index)
      .map((w) => (w.gpaStart + (addr - w.ramStart)) as Gpa)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

/** The GPA ranges that map parts of a `ram_addr_t` range, in ascending GPA order. */
export const gpaRangesOf =
  (r: AddrRange<RamAddr>) =>
  (
    index: ReverseIndex,
  ): ReadonlyArray<{ readonly gpa: AddrRange<Gpa>; readonly ram: AddrRange<RamAddr> }> =>
    windowsOverlapping(
      r.start,
      r.end,
    )(index)
      .map((w) => {
        const s = w.ramStart > r.start ? w.ramStart : r.start
        const e = w.ramEnd < r.end ? w.ramEnd : r.end
        return {
          gpa: {
            start: (w.gpaStart + (s - w.ramStart)) as Gpa,
            end: w.gpaStart + (e - w.ramStart),
          },
          ram: { start: s as RamAddr, end: e },
        }
      })
      .sort((a, b) => (a.gpa.start < b.gpa.start ? -1 : 1))
