/**
 * A machine from the monitor text a bug report or a live QEMU gives: `info mtree -D` (or
 * plain `info mtree`), optionally `info mtree -f` of the same state and `info ramblock`,
 * parsed, checked against each other and turned into a translator in one call.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { TextError } from '../addresses/text-error.js'
import type { RamList } from '../ramblock/ram-list.js'
import type { Topology } from '../region/topology.js'
import { make, type AddressMap } from '../translate/address-map.js'
import type { TranslateError } from '../translate/errors.js'
import { parse as parseRamblock } from './info-ramblock.js'
import { fromSameState, type FlatViewMismatch } from './learn.js'
import { parse as parseFlat } from './mtree-flat.js'
import { parseDump, type Assumption } from './mtree-parse.js'

/** The monitor output of one machine state. */
export interface Dumps {
  /** `info mtree -D` (or `info mtree`) of any QEMU release. */
  readonly mtree: string
  /** `info mtree -f` of the same state: settles what the tree text leaves open. */
  readonly flat?: string
  /** `info ramblock`: without it there is no `ram_addr_t` to translate to. */
  readonly ramblock?: string
}

/** A parsed, cross-checked machine. */
export interface Machine {
  readonly topology: Topology
  /** What the tree text did not say and the model assumes: none once `flat` checked it. */
  readonly assumptions: ReadonlyArray<Assumption>
  /** The accelerator the flat view's markers show; `undefined` without a flat view. */
  readonly accel: 'tcg' | 'kvm' | undefined
  /** The RAM list, when `ramblock` was given. */
  readonly ramList: RamList | undefined
  /** The translator of `address_space_memory`, when `ramblock` was given. */
  readonly addressMap: AddressMap | undefined
}

/** The machine `fromDumps` gives for `D`: with `ramblock` given, its RAM list and translator are there. */
export type MachineOf<D extends Dumps> = D extends { readonly ramblock: string }
  ? Machine & { readonly ramList: RamList; readonly addressMap: AddressMap }
  : Machine

/** Which dump was bad, and the parser's or checker's own error as `cause`. */
export interface DumpError {
  readonly _tag: 'DumpError'
  readonly dump: 'info mtree' | 'info mtree -f' | 'info ramblock'
  readonly message: string
  readonly cause: TextError | FlatViewMismatch | TranslateError
}

const wrap =
  (dump: DumpError['dump']) =>
  (cause: TextError | FlatViewMismatch | TranslateError): DumpError => ({
    _tag: 'DumpError',
    dump,
    message: `${dump}: ${cause.message}`,
    cause,
  })

/**
 * Parses the dumps of one machine state. With `flat`, learns what the tree text cannot
 * show and checks that the view is of the same state (`mtree.fromSameState`); with
 * `ramblock`, ties RAMBlocks to regions and builds the translator (`translate.make`).
 *
 * @example
 * import { Gpa, machines, translate } from 'ramaddr'
 * const m = machines.fromDumps(machines.Q35)
 * assert.equal(m._tag, 'Right')
 * assert.equal(m.right.accel, 'tcg')
 * const x = translate.translationOfGpa(Gpa.unsafe(0xfd000010n))(m.right.addressMap)
 * assert.equal(x._tag, 'Ram')
 * assert.equal(x.ramAddr, 0x20080010n)
 */
export const fromDumps = <D extends Dumps>(dumps: D): E.Either<DumpError, MachineOf<D>> =>
  pipe(
    parseDump(dumps.mtree),
    E.mapLeft(wrap('info mtree')),
    E.chain((dump) =>
      dumps.flat === undefined
        ? E.right({ topology: dump.topology, assumptions: dump.assumptions, accel: undefined })
        : pipe(
            parseFlat(dumps.flat),
            E.mapLeft(wrap('info mtree -f')),
            E.chain((blocks) =>
              pipe(fromSameState(blocks)(dump.topology), E.mapLeft(wrap('info mtree -f'))),
            ),
            E.map((l) => ({
              topology: l.topology,
              assumptions: [] as ReadonlyArray<Assumption>,
              accel: l.accel as 'tcg' | 'kvm' | undefined,
            })),
          ),
    ),
    E.chain((tree) =>
      dumps.ramblock === undefined
        ? E.right<DumpError, Machine>({ ...tree, ramList: undefined, addressMap: undefined })
        : pipe(
            parseRamblock(dumps.ramblock),
            E.mapLeft(wrap('info ramblock')),
            E.chain((ramList) =>
              pipe(
                make({ topology: tree.topology, ramList }),
                E.bimap(wrap('info ramblock'), (addressMap) => ({ ...tree, ramList, addressMap })),
              ),
            ),
          ),
    ),
    // with `ramblock` given the map is there, as MachineOf<D> says
    E.map((m) => m as MachineOf<D>),
  )
