/**
 * Loading what the map commands share: a tree (`--mtree`), facts learned from a flat view
 * of the same state (`--learn`), RAMBlocks (`--ramblock`), and numbers from arguments.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { parseHex } from '../addresses/hex.js'
import { parse as parseRamblock } from '../qemu/info-ramblock.js'
import { fromSameState } from '../qemu/learn.js'
import { parse as parseFlat, type FlatViewBlock } from '../qemu/mtree-flat.js'
import { splitLines } from '../addresses/text-error.js'
import { parseDump as parseMtreeDump, type Assumption } from '../qemu/mtree-parse.js'
import type { RamList } from '../ramblock/ram-list.js'
import type { Topology } from '../region/topology.js'
import { lastOption, type Args } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'

const readParsed = <A>(
  io: Io,
  path: string,
  parse: (text: string) => E.Either<{ message: string }, A>,
): E.Either<Failure, A> =>
  pipe(
    io.readFile(path),
    E.mapLeft(inputError),
    E.chain((text) =>
      pipe(
        parse(text),
        E.mapLeft((e) => inputError(`${path}: ${e.message}`)),
      ),
    ),
  )

/** What the map commands load from `--mtree` (and `--learn`). */
export interface LoadedTree {
  readonly topology: Topology
  /** What the dump did not say and the tree assumes (none once a same-state view checked it). */
  readonly assumptions: ReadonlyArray<Assumption>
  /** The accelerator a `--learn` view's markers show, if one was given. */
  readonly accel: 'tcg' | 'kvm' | undefined
  /** The `--learn` view, if one was given, and its line ending. */
  readonly flat?: { readonly blocks: ReadonlyArray<FlatViewBlock>; readonly eol: '\r\n' | '\n' }
}

/**
 * The `--mtree` tree of any dialect. With `--learn FLAT` (`info mtree -f` of the same
 * state) it learns what the text did not say and checks that the view is of that state:
 * a range the tree does not explain is bad input, and every guess is settled. With
 * `--strict`, a guess left unsettled is bad input.
 */
export const loadTree = (args: Args, io: Io): E.Either<Failure, LoadedTree> => {
  const file = lastOption(args, 'mtree')
  if (file === undefined) return E.left(usageError('--mtree TREE is required'))
  const flat = lastOption(args, 'learn')
  return pipe(
    readParsed(io, file, (text) => parseMtreeDump(text)),
    E.chain((dump): E.Either<Failure, LoadedTree> => {
      if (flat === undefined)
        return E.right({ topology: dump.topology, assumptions: dump.assumptions, accel: undefined })
      return pipe(
        readParsed(io, flat, (text) =>
          E.map((blocks: ReadonlyArray<FlatViewBlock>) => ({ blocks, eol: splitLines(text).eol }))(
            parseFlat(text),
          ),
        ),
        E.chain((view) =>
          pipe(
            fromSameState(view.blocks)(dump.topology),
            E.bimap(
              (e) => inputError(`${flat}: ${e.message}`),
              (l): LoadedTree => ({
                topology: l.topology,
                assumptions: [],
                accel: l.accel,
                flat: view,
              }),
            ),
          ),
        ),
      )
    }),
    E.chain((loaded) => {
      const first = loaded.assumptions[0]
      if (!args.flags.has('strict') || first === undefined) return E.right(loaded)
      return E.left(
        inputError(
          `${file}: --strict: ${loaded.assumptions.length} thing${loaded.assumptions.length === 1 ? '' : 's'} the dump does not say (first, ${first.message}); give info mtree -D and --learn with info mtree -f of the same state`,
        ),
      )
    }),
  )
}

/** The `--mtree` tree (see {@link loadTree}). */
export const loadTopology = (args: Args, io: Io): E.Either<Failure, Topology> =>
  E.map((l: LoadedTree) => l.topology)(loadTree(args, io))

/** The `--ramblock` RAM list. */
export const loadRamList = (args: Args, io: Io): E.Either<Failure, RamList> => {
  const file = lastOption(args, 'ramblock')
  if (file === undefined) return E.left(usageError('--ramblock RAMBLOCK is required'))
  return readParsed(io, file, parseRamblock)
}

/** A 64-bit address argument: `0x…` hex or decimal. */
export const parseAddressArg = (what: string, text: string): E.Either<Failure, bigint> => {
  if (/^0[xX]/.test(text))
    return pipe(
      parseHex(text),
      E.mapLeft((m) => usageError(`${what}: ${m}`)),
    )
  if (/^[0-9]{1,20}$/.test(text) && BigInt(text) < 1n << 64n) return E.right(BigInt(text))
  return E.left(
    usageError(
      `${what}: expected an address (0x… or decimal below 2^64), found ${JSON.stringify(text)}`,
    ),
  )
}
