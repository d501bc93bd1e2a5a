/**
 * Migration streams read from files, pipes and sockets, chunk by chunk: the Node-only
 * half of the `ramaddr/migration` stream decoder.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { createReadStream } from 'node:fs'
import {
  decoder,
  type DecoderOptions,
  type StreamError,
  type StreamEvent,
} from '../migration/stream/index.js'

/** The stream's source failed (a file that cannot be opened, a socket reset). */
export interface StreamReadError {
  readonly _tag: 'StreamReadError'
  /** Bytes read before the failure. */
  readonly at: number
  readonly message: string
  readonly cause: unknown
}

/** Options of {@link decodeChunks}: the decoder's, and a progress callback. */
export interface ReadOptions extends DecoderOptions {
  /** Called after each chunk with the bytes read so far. */
  readonly onChunk?: (bytesRead: number) => void
}

const reason = (cause: unknown): string =>
  cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause)

/**
 * Decodes a migration stream from chunks as they come (a Node `Readable` is one: a file,
 * standard input, a socket), calling `emit` for each event; stops reading at the first
 * decoding error. The promise never rejects: it resolves to the first error, of the
 * source or of the stream. Memory stays bounded as the decoder's does.
 *
 * @example
 * import { decodeChunks } from 'ramaddr/node'
 * import * as either from 'fp-ts/lib/Either.js'
 * async function* chunks() {
 *   yield new Uint8Array([0x51, 0x45, 0x56])
 *   yield new Uint8Array([0x4d, 0, 0, 0, 3, 0])
 * }
 * const tags = []
 * const r = await decodeChunks(chunks(), (e) => tags.push(e._tag))
 * assert.ok(either.isRight(r))
 * assert.deepEqual(tags, ['Header', 'Eof', 'End'])
 */
export const decodeChunks = async (
  chunks: AsyncIterable<Uint8Array | string>,
  emit: (event: StreamEvent) => void,
  options: ReadOptions = {},
): Promise<E.Either<StreamError | StreamReadError, void>> => {
  const d = decoder(options)
  try {
    for await (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      const r = d.push(bytes, emit)
      options.onChunk?.(d.position())
      if (E.isLeft(r)) return r
    }
  } catch (cause) {
    return E.left({
      _tag: 'StreamReadError',
      at: d.position(),
      message: `cannot read the stream after ${d.position()} bytes: ${reason(cause)}`,
      cause,
    })
  }
  return d.end(emit)
}

/**
 * Decodes the migration stream in file `path` (`-`: standard input) chunk by chunk, as
 * {@link decodeChunks} does.
 *
 * @example
 * import { decodeFile } from 'ramaddr/node'
 * import * as either from 'fp-ts/lib/Either.js'
 * const r = await decodeFile('/no/such/file', () => {})
 * assert.ok(either.isLeft(r) && r.left._tag === 'StreamReadError')
 */
export const decodeFile = (
  path: string,
  emit: (event: StreamEvent) => void,
  options: ReadOptions = {},
): Promise<E.Either<StreamError | StreamReadError, void>> =>
  decodeChunks(
    path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 }),
    emit,
    options,
  )
