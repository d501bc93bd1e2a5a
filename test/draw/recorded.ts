// Recorded QEMU states as address maps and as QEMU's own text, for the picture tests.
import * as E from 'fp-ts/lib/Either.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import { parse as parseMtree } from '../../src/qemu/mtree-parse.js'
import { make, type AddressMap } from '../../src/translate/address-map.js'
import type { Topology } from '../../src/region/topology.js'
import type { RamList } from '../../src/ramblock/ram-list.js'
import { fixture, scenarios, stateId, type Scenario } from '../helpers.js'

/** One recorded state. */
export interface State {
  readonly id: string
  readonly scenario: Scenario
  readonly n: number
  readonly topology: Topology
  readonly ramList: RamList
  readonly map: AddressMap
}

const right = <A>(e: E.Either<{ message: string }, A>, what: string): A => {
  if (E.isLeft(e)) throw new Error(`${what}: ${e.left.message}`)
  return e.right
}

/** Every recorded state (TCG and KVM recordings), built from `info mtree -D`. */
export const states = (): ReadonlyArray<State> =>
  scenarios()
    .filter((s) => s.recording.startsWith('qemu-7.2'))
    .flatMap((scenario) =>
      Array.from({ length: scenario.states }, (_, n) => {
        const id = `${scenario.recording}/${scenario.name}/${stateId(n)}`
        const topology = right(parseMtree(fixture(scenario, n, 'mtree-D.txt')), id)
        const ramList = right(parseRamblock(fixture(scenario, n, 'ramblock.txt')), id)
        const map = right(make({ topology, ramList }), id)
        return { id, scenario, n, topology, ramList, map }
      }),
    )

/** A flat-view line of `info mtree -f`, as QEMU printed it. */
export interface FlatLine {
  readonly start: bigint
  /** Exclusive. */
  readonly end: bigint
  readonly type: string
  readonly name: string
  readonly offset: bigint
}

/** The ranges QEMU printed for address space `memory` in `info mtree -f`. */
export const memoryFlatLines = (text: string): ReadonlyArray<FlatLine> => {
  // QEMU's HMP output ends lines with \r\n
  const views = text.replace(/\r\n/g, '\n').split(/\n(?=FlatView #)/)
  const view = views.find((v) => v.split('\n').some((l) => l.startsWith(' AS "memory",')))
  if (view === undefined) throw new Error('no FlatView for AS "memory"')
  const out: FlatLine[] = []
  for (const l of view.split('\n')) {
    const m =
      /^ {2}([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, ([a-z/]+)\): (.*?)(?: @([0-9a-f]{16}))?(?: KVM)?$/.exec(
        l,
      )
    if (m === null) continue
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]) + 1n,
      type: m[3] as string,
      name: m[4] as string,
      offset: m[5] === undefined ? 0n : BigInt('0x' + m[5]),
    })
  }
  return out
}

/** RAMBlock offsets as QEMU printed them in `info ramblock`: idstr -> offset, used, max. */
export const ramblockLines = (
  text: string,
): ReadonlyMap<string, { offset: bigint; used: bigint; max: bigint }> =>
  new Map(
    text
      .split(/\r?\n/)
      .slice(1)
      .flatMap((l) => {
        const m =
          /^\s*(\S+)\s+\d+ [KMG]iB\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s*$/.exec(l)
        return m === null
          ? []
          : [
              [
                m[1] as string,
                {
                  offset: BigInt(m[2] as string),
                  used: BigInt(m[3] as string),
                  max: BigInt(m[4] as string),
                },
              ] as const,
            ]
      }),
  )
