/**
 * The process entry of `bin/ramaddr`.
 *
 * @module
 */
import { nodeIo } from './io.js'
import { run } from './main.js'

process.exitCode = run(process.argv.slice(2), nodeIo)
