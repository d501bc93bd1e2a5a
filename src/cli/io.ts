/**
 * What the CLI needs from the outside world, so that commands stay testable in-process.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { createReadStream, readFileSync, writeSync } from 'node:fs'

const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * Writes all of `data` to standard output before returning. `process.stdout.write` to a
 * pipe queues what the reader has not taken yet, so a command writing gigabytes (a 1 TiB
 * guest's `xen encode`) would hold them all; this blocks instead, waiting a millisecond
 * whenever a non-blocking pipe is full (EAGAIN). A reader that went away (EPIPE) ends the
 * output quietly, as `head` expects.
 */
const writeOut = (data: string | Uint8Array): void => {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  let off = 0
  while (off < b.length) {
    try {
      off += writeSync(1, b, off, b.length - off)
    } catch (e) {
      const code = (e as { code?: unknown }).code
      if (code === 'EPIPE') return
      if (code !== 'EAGAIN') throw e
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}

/** Input and output for a CLI run. */
export interface Io {
  /** A file's text, or a one-line reason it could not be read. */
  readonly readFile: (path: string) => E.Either<string, string>
  /** Writes to standard output. */
  readonly stdout: (text: string) => void
  /** Writes to standard error. */
  readonly stderr: (text: string) => void
  /** A file's bytes (`-` is standard input), or a one-line reason; for binary input. */
  readonly readBytes?: (path: string) => E.Either<string, Uint8Array>
  /** Writes bytes to standard output; for binary output. */
  readonly stdoutBytes?: (bytes: Uint8Array) => void
  /** A file's bytes in chunks as they are read (`-` is standard input); for long streams. */
  readonly readStream?: (path: string) => AsyncIterable<Uint8Array>
  /** Whether standard error is a terminal (progress lines go there only then). */
  readonly stderrIsTty?: boolean
}

/** The process's own files and streams. */
export const nodeIo: Io = {
  readFile: (path) =>
    E.tryCatch(
      () => readFileSync(path === '-' ? 0 : path, 'utf8'),
      (e) => `cannot read ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    ),
  stdout: writeOut,
  stderr: (text) => {
    process.stderr.write(text)
  },
  readBytes: (path) =>
    E.tryCatch(
      () => new Uint8Array(readFileSync(path === '-' ? 0 : path)),
      (e) => `cannot read ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    ),
  stdoutBytes: writeOut,
  readStream: (path) =>
    path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 }),
  get stderrIsTty() {
    return process.stderr.isTTY
  },
}

/** Exit statuses: 0 success, 1 bad input, 2 bad usage. */
export const EXIT_OK = 0
export const EXIT_INPUT = 1
export const EXIT_USAGE = 2

/** A command's failure: bad input (exit 1) or bad usage (exit 2), with a one-line message. */
export type Failure =
  | { readonly _tag: 'Input'; readonly message: string }
  | { readonly _tag: 'Usage'; readonly message: string }

/** A bad-input failure. */
export const inputError = (message: string): Failure => ({ _tag: 'Input', message })
/** A bad-usage failure. */
export const usageError = (message: string): Failure => ({ _tag: 'Usage', message })
