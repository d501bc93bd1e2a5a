/**
 * `ramaddr/node`: the parts that need Node.js: reading dumps from files, a QMP client
 * that reads them from a running QEMU (`human-monitor-command` over a UNIX socket), and
 * migration streams decoded chunk by chunk from files, pipes and sockets.
 *
 * @module
 */
export { readDumps, readText, type DumpPaths, type ReadError } from './read.js'
export { connect, hmp, dump, type QmpError, type QmpSession, type LiveDump } from './qmp.js'
export {
  decodeChunks,
  decodeFile,
  type ReadOptions,
  type StreamReadError,
} from './migration-stream.js'
