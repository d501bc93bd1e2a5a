/**
 * io-ts decode errors as one line each, naming the JSON path of the bad value
 * (`blocks/1/offset`), the reason and the value found. io-ts's own `PathReporter`
 * drops the path whenever a codec gives a message, as the codecs here do.
 *
 * @module
 */
import type * as t from 'io-ts/lib/index.js'

const pathOf = (e: t.ValidationError): string =>
  e.context
    .map((c) => c.key)
    .filter((k) => k !== '')
    .join('/')

const LIMIT = 40

/** One scalar as JSON would print it (bigints as hex, which JSON cannot hold). */
const scalar = (u: unknown): string => {
  if (typeof u === 'bigint') return `0x${u.toString(16)}`
  if (typeof u === 'string') return JSON.stringify(u.length > LIMIT ? u.slice(0, LIMIT + 1) : u)
  if (typeof u === 'number') return Number.isFinite(u) ? String(u) : 'null'
  if (u === null || typeof u === 'boolean') return String(u)
  return String(u === undefined ? 'undefined' : typeof u)
}

/**
 * A value as JSON text, cut after 40 characters with `…`. It never throws and stops early
 * whatever the value: bigints print as hex, a cycle or a 100,000-deep nesting costs no more
 * than the 40 characters it prints (the walk is iterative and ends at the limit).
 *
 * @example
 * import { errors } from 'ramaddr'
 * const cyclic = { n: 16n, self: {} }
 * cyclic.self = cyclic
 * assert.equal(errors.showError(cyclic), '{"n":0x10,"self":{"n":0x10,"self":{"n":0…')
 * let deep = [0]
 * for (let i = 0; i < 100000; i++) deep = [deep]
 * assert.equal(errors.showError(deep), '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[…')
 */
export const showValue = (u: unknown): string => {
  let out = ''
  // what is left to print, last first: values, or literal text (closing brackets, commas)
  const todo: Array<{ readonly v: unknown } | { readonly text: string }> = [{ v: u }]
  while (todo.length > 0 && out.length <= LIMIT) {
    const item = todo.pop() as { readonly v: unknown } | { readonly text: string }
    if ('text' in item) {
      out += item.text
      continue
    }
    const v = item.v
    if (Array.isArray(v)) {
      out += '['
      todo.push({ text: ']' })
      // only as many elements as could still show
      for (let i = Math.min(v.length, LIMIT) - 1; i >= 0; i--) {
        todo.push({ v: v[i] as unknown })
        if (i > 0) todo.push({ text: ',' })
      }
    } else if (typeof v === 'object' && v !== null) {
      out += '{'
      todo.push({ text: '}' })
      const keys = Object.keys(v).slice(0, LIMIT)
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string
        todo.push({ v: (v as Record<string, unknown>)[k] })
        todo.push({ text: `${JSON.stringify(k)}:` })
        if (i > 0) todo.push({ text: ',' })
      }
    } else out += scalar(v)
  }
  return out.length > LIMIT ? out.slice(0, LIMIT) + '…' : out
}

/**
 * One line per error: `at PATH: MESSAGE` (or `expected TYPE`) and the value found.
 *
 * @example
 * import { codec, errors } from 'ramaddr'
 * import * as t from 'io-ts'
 * import * as either from 'fp-ts/lib/Either.js'
 * const r = t.type({ offset: codec.RamAddrFromHex }).decode({ offset: '0xzz' })
 * assert.ok(either.isLeft(r))
 * assert.deepEqual(errors.reportErrors(r.left), ['at offset: expected hex digits after 0x, found "0xzz" (got "0xzz")'])
 */
export const reportErrors = (errors: t.Errors): ReadonlyArray<string> =>
  errors.map((e) => {
    const path = pathOf(e)
    const last = e.context[e.context.length - 1]
    const why = e.message ?? `expected ${last?.type.name ?? 'a value'}`
    return `at ${path === '' ? '(root)' : path}: ${why} (got ${showValue(e.value)})`
  })
