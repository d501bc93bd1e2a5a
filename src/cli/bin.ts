/**
 * The process entry of `bin/ramaddr`.
 *
 * @module
 */
import { nodeIo } from './io.js'
import { runAsync } from './main.js'

process.exitCode = await runAsync(process.argv.slice(2), nodeIo)
