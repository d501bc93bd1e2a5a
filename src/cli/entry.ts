/**
 * The whole run of `bin/ramaddr` as one function: the top-level help and `--version`
 * answer from their text alone; a command loads the CLI ({@link runAsync}).
 *
 * @module
 */
import type { Io } from './io.js'
import { USAGE, VERSION } from './usage.js'

/**
 * Runs `ramaddr` on `argv` (without the node and script paths) and resolves to the exit
 * status: 0 success, 1 bad input, 2 bad usage. `io` defaults to the process's own files
 * and streams.
 */
export const main = async (argv: ReadonlyArray<string>, io?: Io): Promise<number> => {
  const first = argv[0]
  const out = (text: string): void => {
    if (io === undefined) process.stdout.write(text)
    else io.stdout(text)
  }
  if (first === undefined) {
    if (io === undefined) process.stderr.write(USAGE)
    else io.stderr(USAGE)
    return 2
  }
  if (argv.length === 1 && (first === '-h' || first === '--help' || first === 'help')) {
    out(USAGE)
    return 0
  }
  if (argv.length === 1 && first === '--version') {
    out(VERSION + '\n')
    return 0
  }
  const [{ runAsync }, { nodeIo }] = await Promise.all([import('./main.js'), import('./io.js')])
  return runAsync(argv, io ?? nodeIo)
}
