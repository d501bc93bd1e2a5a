/**
 * JSON for RAMBlock tables, as the CLI prints them: an array of
 * `{ "name", "pageSize", "offset", "used", "max" }` with hex-string numbers, and, for a
 * block whose host address is known (an `info ramblock` with the `HVA` and `RO` columns),
 * `"hva"` and `"readonly"`.
 *
 * @module
 */
import * as t from 'io-ts/lib/index.js'
import * as O from 'fp-ts/lib/Option.js'
import { HvaFromHex, PageSizeCodec, RamAddrFromHex, SizeFromHex } from '../addresses/codec.js'
import type { RAMBlock } from './ramblock.js'

/** One row of the JSON table. */
export const RAMBlockRow = t.intersection([
  t.type({
    name: t.string,
    pageSize: PageSizeCodec,
    offset: RamAddrFromHex,
    used: SizeFromHex,
    max: SizeFromHex,
  }),
  t.partial({ hva: HvaFromHex, readonly: t.boolean }),
])

/** The JSON table. */
export const RAMBlockTable = t.readonlyArray(RAMBlockRow)

/** A row's decoded form. */
export type RAMBlockRow = t.TypeOf<typeof RAMBlockRow>

/**
 * A block as a JSON row.
 *
 * @example
 * import { ramblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const list = pipe(ramblock.empty(), ramblock.add({ idstr: 'pc.bios', usedLength: 0x40000n }))
 * assert.ok(either.isRight(list))
 * assert.deepEqual(ramblock.toJson(list.right.blocks[0]), {
 *   name: 'pc.bios', pageSize: '0x1000', offset: '0x0', used: '0x40000', max: '0x40000',
 * })
 */
export const toJson = (b: RAMBlock): t.OutputOf<typeof RAMBlockRow> =>
  RAMBlockRow.encode({
    name: b.idstr,
    pageSize: b.pageSize,
    offset: b.offset,
    used: b.usedLength,
    max: b.maxLength,
    ...(O.isSome(b.host) ? { hva: b.host.value, readonly: b.flags.readonly } : {}),
  })
