/**
 * Loading what the map commands share: a tree (`--mtree`), facts learned from a flat view
 * of the same state (`--learn`), RAMBlocks (`--ramblock`), and numbers from arguments.
 *
 * @module
 */
import { either as E } from 'fp-ts'
import { pipe } from 'fp-ts/lib/function.js'
import { parseHex } from '../addresses/hex.js'
import { parse as parseRamblock } from '../qemu/info-ramblock.js'
import { learn } from '../qemu/learn.js'
import { parse as parseFlat } from '../qemu/mtree-flat.js'
import { parse as parseMtree } from '../qemu/mtree-parse.js'
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

/** The `--mtree` tree, with `--learn` facts applied. */
export const loadTopology = (args: Args, io: Io): E.Either<Failure, Topology> => {
  const file = lastOption(args, 'mtree')
  if (file === undefined) return E.left(usageError('--mtree TREE is required'))
  const tree = readParsed(io, file, parseMtree)
  const flat = lastOption(args, 'learn')
  if (flat === undefined) return tree
  return pipe(
    tree,
    E.chain((t) =>
      pipe(
        readParsed(io, flat, parseFlat),
        E.map((blocks) => learn(blocks)(t)),
      ),
    ),
  )
}

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
