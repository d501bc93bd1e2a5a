/**
 * The CLI as functions: run it in-process with your own {@link Io}.
 *
 * @module
 */
export { run, USAGE } from './main.js'
export { parseAllocation } from './ramblock-cmd.js'
export type { Io, Failure } from './io.js'
