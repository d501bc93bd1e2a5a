/**
 * `ramaddr/cli`: the CLI as functions (Node only): run it in-process with your own
 * {@link Io}, or with {@link nodeIo}, the process's own files and streams.
 *
 * @module
 */
export { run, runAsync } from './main.js'
export { USAGE, VERSION } from './usage.js'
export { nodeIo } from './io.js'
export { parseAllocation } from './ramblock-cmd.js'
export type { Io, Failure } from './io.js'
