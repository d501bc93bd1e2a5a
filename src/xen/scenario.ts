/**
 * A domain described as JSON, for `ramaddr xen encode`: the host p2m as runs, the views as
 * the altp2m operations that build them, optional log-dirty writes, and how to migrate.
 * Numbers are `0x…` hex strings; errors name the io-ts path of the bad value
 * (`views/0/ops/1/gfn`). This is this project's input format, not Xen's.
 *
 * ```json
 * { "host": [{ "gfn": "0x0", "count": "0x100", "mfn": "0x8000", "type": "ram_rw" }],
 *   "views": [{ "defaultAccess": "rwx", "ops": [
 *     { "op": "set_mem_access", "gfn": "0x10", "access": "rx" },
 *     { "op": "change_gfn", "gfn": "0x20", "newGfn": "0x30" } ] }],
 *   "writes": [{ "view": 1, "gfn": "0x20" }],
 *   "migration": { "views": "migrate" } }
 * ```
 *
 * @module
 */
import * as t from 'io-ts/lib/index.js'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { GfnFromHex, SizeFromHex } from '../addresses/codec.js'
import { parseHex, toHex } from '../addresses/hex.js'
import { showValue } from '../addresses/report.js'
import { ACCESS_NAMES, type Access } from './access.js'
import * as domain from './domain.js'
import type { Domain } from './domain.js'
import type { XenError } from './errors.js'
import { fromRuns } from './host-p2m.js'
import { enableLogDirty, guestWrite } from './log-dirty.js'
import { isMfn, type Mfn } from './mfn.js'
import { P2M_TYPE_NAMES, type P2mType } from './p2m-type.js'
import type { SaveOptions } from './migrate.js'

const keyof = <K extends string>(names: ReadonlyArray<K>, name: string): t.Type<K, K, unknown> => {
  const keys = Object.fromEntries(names.map((n) => [n, null])) as Record<K, null>
  return t.keyof(keys, name)
}

/** `0x…` text <-> a machine frame number. */
export const MfnFromHex = new t.Type<Mfn, string, unknown>(
  'MfnFromHex',
  (u): u is Mfn => typeof u === 'bigint' && isMfn(u),
  (u, c) =>
    typeof u !== 'string'
      ? t.failure(u, c, 'expected a hex string for an mfn')
      : pipe(
          parseHex(u, (1n << 64n) - 2n),
          E.fold(
            (m) => t.failure(u, c, m),
            (n) => t.success(n as Mfn),
          ),
        ),
  toHex,
)

/** An access right by Xen's name. */
export const AccessCodec: t.Type<Access, Access, unknown> = keyof(ACCESS_NAMES, 'Access')
/** A p2m type by Xen's name (without `p2m_`). */
export const P2mTypeCodec: t.Type<P2mType, P2mType, unknown> = keyof(P2M_TYPE_NAMES, 'P2mType')

const Run = t.intersection([
  t.type({ gfn: GfnFromHex, count: SizeFromHex, mfn: MfnFromHex, type: P2mTypeCodec }),
  t.partial({ access: AccessCodec, suppressVe: t.boolean }),
])

const Op = t.union([
  t.type({ op: t.literal('set_mem_access'), gfn: GfnFromHex, access: AccessCodec }),
  t.type({ op: t.literal('set_suppress_ve'), gfn: GfnFromHex, suppressVe: t.boolean }),
  t.intersection([
    t.type({ op: t.literal('change_gfn'), gfn: GfnFromHex, newGfn: t.union([GfnFromHex, t.null]) }),
    t.partial({ caller: t.union([t.literal('guest'), t.literal('tool')]) }),
  ]),
])

const ViewSpec = t.intersection([
  t.type({ ops: t.array(Op) }),
  t.partial({ defaultAccess: t.union([AccessCodec, t.literal('default')]) }),
])

const ViewIndex = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'ViewIndex')

/** The JSON input of `ramaddr xen encode`. */
export const Scenario = t.intersection([
  t.type({ host: t.array(Run) }),
  t.partial({
    defaultAccess: AccessCodec,
    nrAltp2m: ViewIndex,
    views: t.array(ViewSpec),
    logDirty: t.boolean,
    writes: t.array(t.type({ view: ViewIndex, gfn: GfnFromHex })),
    migration: t.intersection([
      t.type({ views: t.union([t.literal('migrate'), t.literal('soft')]) }),
      t.partial({ notify: t.boolean }),
    ]),
  }),
])

/** A decoded scenario. */
export type Scenario = t.TypeOf<typeof Scenario>

/** A scenario that does not decode: one line per problem, each with its io-ts path. */
export interface ScenarioError {
  readonly _tag: 'ScenarioError'
  readonly message: string
}

/**
 * Decodes the JSON value `u` (already parsed) as a scenario.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * const bad = xen.scenario.decodeScenario({ host: [{ gfn: '0x0', count: '0x10', mfn: 'zz', type: 'ram_rw' }] })
 * assert.ok(either.isLeft(bad))
 * assert.match(bad.left.message, /at host\/0\/mfn: expected a hex number/)
 */
export const decodeScenario = (u: unknown): E.Either<ScenarioError, Scenario> =>
  pipe(
    Scenario.decode(u),
    E.mapLeft((errs) => ({
      _tag: 'ScenarioError',
      message: [...new Set(errs.map(reportOne))].slice(0, 3).join('; '),
    })),
  )

/** Whether a context entry is an intersection or union, whose member indexes are not JSON keys. */
const isCombinator = (c: t.ContextEntry | undefined): boolean => {
  const tag = (c?.type as { _tag?: unknown } | undefined)?._tag
  return tag === 'IntersectionType' || tag === 'UnionType'
}

/** One error as `at PATH: MESSAGE (got VALUE)`, PATH the JSON path (`views/0/ops/1/gfn`). */
const reportOne = (e: t.ValidationError): string => {
  const keys = e.context
    .filter((c, i) => c.key !== '' && !isCombinator(e.context[i - 1]))
    .map((c) => c.key)
  const last = e.context[e.context.length - 1]
  const why = e.message ?? `expected ${last?.type.name ?? 'a value'}`
  return `at ${keys.length === 0 ? '(root)' : keys.join('/')}: ${why} (got ${showValue(e.value)})`
}

/** A built scenario: the domain (writes applied) and the save options. */
export interface Built {
  readonly domain: Domain
  readonly options: SaveOptions
}

const widen = <A>(e: E.Either<XenError, A>): E.Either<XenError, A> => e

const at =
  (where: string) =>
  (e: XenError): XenError => ({ ...e, message: `${where}: ${e.message}` })

/**
 * Builds the domain a scenario describes: the host p2m, each view created in order
 * (indexes 1, 2, …) and its operations applied, log-dirty turned on if asked (or if there
 * are writes), then the writes. Errors name the scenario path.
 */
export const build = (s: Scenario): E.Either<XenError, Built> => {
  const host = fromRuns(s.host, s.defaultAccess ?? 'rwx')
  if (E.isLeft(host)) return E.left(at('host')(host.left))
  let d: E.Either<XenError, Domain> = domain.make(host.right, s.nrAltp2m)
  for (const [vi, vs] of (s.views ?? []).entries()) {
    d = pipe(
      d,
      E.chain((x) =>
        pipe(domain.createView(vs.defaultAccess ?? 'rwx')(x), E.mapLeft(at(`views/${vi}`))),
      ),
      E.chain(({ domain: x, index }) => {
        // stop at the first failing operation, named by its own path only
        let y = x
        for (const [oi, op] of vs.ops.entries()) {
          const r =
            op.op === 'set_mem_access'
              ? widen(domain.setMemAccess(index, op.gfn, op.access)(y))
              : op.op === 'set_suppress_ve'
                ? widen(domain.setSuppressVe(index, op.gfn, op.suppressVe)(y))
                : widen(
                    domain.changeGfn(
                      index,
                      op.gfn,
                      O.fromNullable(op.newGfn),
                      op.caller ?? 'tool',
                    )(y),
                  )
          if (E.isLeft(r)) return E.left(at(`views/${vi}/ops/${oi}`)(r.left))
          y = r.right
        }
        return E.right(y)
      }),
    )
  }
  const writes = s.writes ?? []
  if (s.logDirty === true || writes.length > 0)
    d = pipe(
      d,
      E.chain((x) => widen(enableLogDirty(x))),
    )
  for (const [wi, w] of writes.entries())
    d = pipe(
      d,
      E.chain((x) =>
        pipe(
          guestWrite(w.view, w.gfn)(x),
          E.map((r) => r.domain),
          E.mapLeft(at(`writes/${wi}`)),
        ),
      ),
    )
  return E.map((x: Domain) => ({
    domain: x,
    options: { views: s.migration?.views ?? 'migrate', notify: s.migration?.notify ?? true },
  }))(d)
}
