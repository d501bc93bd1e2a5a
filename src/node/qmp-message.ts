/**
 * One line a QMP peer sent, read without effects: the socket adapter (`qmp.ts`) feeds
 * each line here and acts on the answer, so the reading can be fuzzed apart from sockets
 * and timers. QMP (docs/interop/qmp-spec.rst) sends one JSON object a line: the greeting
 * `{"QMP": …}`, `{"event": …}`, or a command's `{"return": …, "id": …}` /
 * `{"error": {"class", "desc"}, "id": …}`. A peer may send anything else; nothing it sends
 * can make this throw or give an unbounded text.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { flattenLines } from '../addresses/show-error.js'
import { showValue } from '../addresses/report.js'

/** A command's failure as QEMU names it (`QERR` class and description), each one bounded line. */
export interface QmpFailure {
  readonly class: string
  readonly desc: string
}

/** What one line from the peer is. */
export type QmpMessage =
  | { readonly _tag: 'NotJson'; readonly message: string }
  /** JSON, but not an object (QMP only sends objects): ignored, as QEMU's own clients do. */
  | { readonly _tag: 'NotObject' }
  | {
      readonly _tag: 'Object'
      /** Has a `QMP` member: the greeting, when it comes first. */
      readonly greeting: boolean
      /** Has an `event` member: asynchronous, answers no command. */
      readonly event: boolean
      /** The command id it answers, when a string. */
      readonly id: string | undefined
      /** `error` (class and desc) or `return` (undefined when absent). */
      readonly answer: E.Either<QmpFailure, unknown>
    }

/**
 * A peer's JSON value as text: as JSON, or, when that overflows the stack (a value nested
 * 100,000 deep), as `showValue`'s bounded rendering.
 */
export const asText = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? '?'
  } catch {
    return showValue(v)
  }
}

/** A peer's text as part of one line: line breaks become spaces, and it is cut at 200 characters. */
export const oneLine = (text: string): string => {
  const flat = flattenLines(text)
  return flat.length > 200 ? flat.slice(0, 200) + '…' : flat
}

/**
 * Reads one line (without its line break) as QMP: what it is, which command it answers and
 * with what. An `error` of any shape (null, a string, an array, nested 100,000 deep) gives
 * a class and desc of at most 201 characters each, `?` where absent.
 */
export const readMessage = (line: string): QmpMessage => {
  let msg: unknown
  try {
    msg = JSON.parse(line)
  } catch {
    return {
      _tag: 'NotJson',
      message: `QMP sent a line that is not JSON: ${oneLine(line.slice(0, 80))}`,
    }
  }
  if (typeof msg !== 'object' || msg === null) return { _tag: 'NotObject' }
  const id = 'id' in msg && typeof msg.id === 'string' ? msg.id : undefined
  const base = { _tag: 'Object' as const, greeting: 'QMP' in msg, event: 'event' in msg, id }
  if ('error' in msg) {
    // QEMU sends { class, desc }; a peer may send anything (null, a string, an array)
    const err: unknown = msg.error
    const field = (k: 'class' | 'desc'): string => {
      const v: unknown =
        typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[k] : undefined
      return oneLine(typeof v === 'string' ? v : v === undefined ? '?' : asText(v))
    }
    return { ...base, answer: E.left({ class: field('class'), desc: field('desc') }) }
  }
  return { ...base, answer: E.right('return' in msg ? msg.return : undefined) }
}
