/**
 * One subcommand's run, shared by {@link run} (every command loaded) and `bin/ramaddr`
 * (which loads only the command it is given): `-h`/`--help`, the result on stdout, and a
 * failure as one bounded line on stderr (exit 1) or the usage (exit 2).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Failure, type Io } from './io.js'

/** A subcommand: its usage text and what runs it. */
export interface Command {
  readonly usage: string
  readonly run: (argv: ReadonlyArray<string>, io: Io) => E.Either<Failure, string>
}

/** Runs subcommand `name` on its arguments `rest` and returns the exit status. */
export const runCommand = (
  name: string,
  command: Command,
  rest: ReadonlyArray<string>,
  io: Io,
): number => {
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout(command.usage)
    return EXIT_OK
  }
  const result = command.run(rest, io)
  if (E.isRight(result)) {
    io.stdout(result.right)
    return EXIT_OK
  }
  // one line, and a bounded one: a message quoting input never floods the terminal
  const flat = result.left.message.replace(/\s*\n\s*/g, ' ')
  const oneLine = flat.length > 1000 ? flat.slice(0, 1000) + '…' : flat
  if (result.left._tag === 'Usage') {
    io.stderr(`ramaddr ${name}: ${oneLine}\n${command.usage}`)
    return EXIT_USAGE
  }
  io.stderr(`ramaddr ${name}: ${oneLine}\n`)
  return EXIT_INPUT
}
