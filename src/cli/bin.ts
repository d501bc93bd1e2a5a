/**
 * The process entry of `bin/ramaddr`. The top-level help and `--version` load only their
 * text; a command loads the CLI.
 *
 * @module
 */
import { USAGE, VERSION } from './usage.js'

const argv = process.argv.slice(2)
const first = argv[0]
if (first === undefined) {
  process.stderr.write(USAGE)
  process.exitCode = 2
} else if (argv.length === 1 && (first === '-h' || first === '--help' || first === 'help')) {
  process.stdout.write(USAGE)
} else if (argv.length === 1 && first === '--version') {
  process.stdout.write(VERSION + '\n')
} else {
  const [{ runAsync }, { nodeIo }] = await Promise.all([import('./main.js'), import('./io.js')])
  process.exitCode = await runAsync(argv, nodeIo)
}
