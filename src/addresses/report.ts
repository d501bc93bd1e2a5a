/**
 * io-ts decode errors as one line each, naming the JSON path of the bad value
 * (`blocks/1/offset`), the reason and the value found. io-ts's own `PathReporter`
 * drops the path whenever a codec gives a message, as the codecs here do.
 *
 * @module
 */
import type * as t from 'io-ts'

const pathOf = (e: t.ValidationError): string =>
  e.context
    .map((c) => c.key)
    .filter((k) => k !== '')
    .join('/')

const showValue = (u: unknown): string => {
  if (typeof u === 'bigint') return `0x${u.toString(16)}`
  const s = JSON.stringify(u)
  if (s === undefined) return String(u)
  return s.length > 40 ? s.slice(0, 40) + '…' : s
}

/**
 * One line per error: `at PATH: MESSAGE` (or `expected TYPE`) and the value found.
 *
 * @example
 * import { codec, report } from 'ramaddr'
 * import * as t from 'io-ts'
 * import { either } from 'fp-ts'
 * const r = t.type({ offset: codec.RamAddrFromHex }).decode({ offset: '0xzz' })
 * assert.ok(either.isLeft(r))
 * assert.deepEqual(report.reportErrors(r.left), ['at offset: expected hex digits after 0x, found "0xzz" (got "0xzz")'])
 */
export const reportErrors = (errors: t.Errors): ReadonlyArray<string> =>
  errors.map((e) => {
    const path = pathOf(e)
    const last = e.context[e.context.length - 1]
    const why = e.message ?? `expected ${last?.type.name ?? 'a value'}`
    return `at ${path === '' ? '(root)' : path}: ${why} (got ${showValue(e.value)})`
  })
