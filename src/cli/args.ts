/**
 * A small argument parser: `--flag`, `--opt VALUE` / `--opt=VALUE`, and positionals; `--`
 * ends options. Only the list options (`--move`, `--log`, `--allocate`) may repeat: a second
 * value of any other option is a usage error, not a silent override.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { usageError, type Failure } from './io.js'

/** Which options a command takes. */
export interface ArgSpec {
  readonly flags: ReadonlyArray<string>
  readonly options: ReadonlyArray<string>
}

/** Parsed arguments. */
export interface Args {
  readonly flags: ReadonlySet<string>
  readonly options: ReadonlyMap<string, ReadonlyArray<string>>
  readonly positionals: ReadonlyArray<string>
}

/** The options that take a list: each occurrence adds a value. */
const REPEATABLE: ReadonlySet<string> = new Set(['move', 'log', 'allocate'])

/**
 * Parses `argv` against `spec`; unknown options, missing values and a repeated
 * single-valued option are usage errors.
 */
export const parseArgs =
  (spec: ArgSpec) =>
  (argv: ReadonlyArray<string>): E.Either<Failure, Args> => {
    const flags = new Set<string>()
    const options = new Map<string, string[]>()
    const positionals: string[] = []
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] ?? ''
      if (a === '--') {
        positionals.push(...argv.slice(i + 1))
        break
      }
      if (a.startsWith('--')) {
        const eq = a.indexOf('=')
        const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
        if (spec.flags.includes(name)) {
          if (eq >= 0) return E.left(usageError(`option --${name} takes no value`))
          flags.add(name)
        } else if (spec.options.includes(name)) {
          const value = eq >= 0 ? a.slice(eq + 1) : argv[++i]
          if (value === undefined) return E.left(usageError(`option --${name} needs a value`))
          if (options.has(name) && !REPEATABLE.has(name))
            return E.left(usageError(`option --${name} is given twice; it takes one value`))
          options.set(name, [...(options.get(name) ?? []), value])
        } else return E.left(usageError(`unknown option --${name}`))
      } else positionals.push(a)
    }
    return E.right({ flags, options, positionals })
  }

/** The last value given for an option, if any. */
export const lastOption = (args: Args, name: string): string | undefined => {
  const values = args.options.get(name)
  return values === undefined ? undefined : values[values.length - 1]
}
