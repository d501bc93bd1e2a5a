/**
 * Dumps read from files: the Node-only half of `machines.fromDumps`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { readFileSync } from 'node:fs'
import { fromDumps, type DumpError, type Dumps, type Machine } from '../qemu/machine.js'

/** Where each dump is: paths to files holding the monitor's text (`-` is standard input). */
export interface DumpPaths {
  readonly mtree: string
  readonly flat?: string
  readonly ramblock?: string
}

/** A file that could not be read, with the system's error as `cause`. */
export interface ReadError {
  readonly _tag: 'ReadError'
  readonly path: string
  readonly message: string
  readonly cause: unknown
}

/** A file's text, or why it could not be read. */
export const readText = (path: string): E.Either<ReadError, string> =>
  E.tryCatch(
    () => readFileSync(path === '-' ? 0 : path, 'utf8'),
    (cause) => ({
      _tag: 'ReadError' as const,
      path,
      message: `cannot read ${path}: ${cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause)}`,
      cause,
    }),
  )

const optional = (path: string | undefined): E.Either<ReadError, string | undefined> =>
  path === undefined ? E.right(undefined) : readText(path)

/**
 * Reads the dumps of one machine state from files and parses them with
 * `machines.fromDumps`; a parse error names the file.
 *
 * @example
 * import { readDumps } from 'ramaddr/node'
 * const m = readDumps({ mtree: '/nonexistent/mtree-D.txt' })
 * assert.equal(m._tag, 'Left')
 * assert.equal(m.left._tag, 'ReadError')
 */
export const readDumps = (paths: DumpPaths): E.Either<ReadError | DumpError, Machine> =>
  pipe(
    E.Do,
    E.bind('mtree', () => readText(paths.mtree)),
    E.bind('flat', () => optional(paths.flat)),
    E.bind('ramblock', () => optional(paths.ramblock)),
    E.chainW((texts) => {
      const dumps: Dumps = {
        mtree: texts.mtree,
        ...(texts.flat === undefined ? {} : { flat: texts.flat }),
        ...(texts.ramblock === undefined ? {} : { ramblock: texts.ramblock }),
      }
      return pipe(
        fromDumps(dumps),
        E.mapLeft((e): DumpError => {
          const path =
            e.dump === 'info mtree'
              ? paths.mtree
              : e.dump === 'info mtree -f'
                ? paths.flat
                : paths.ramblock
          return { ...e, message: `${path ?? '?'}: ${e.message}` }
        }),
      )
    }),
  )
