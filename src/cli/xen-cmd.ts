/**
 * `ramaddr xen encode FILE.json [--soft]` and `ramaddr xen decode STREAM [--json]`: a
 * domain described as JSON (src/xen/scenario.ts) to a migration stream on standard output,
 * and a stream back to text or JSON.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { decode } from '../xen/decode.js'
import { encodeChunks } from '../xen/encode.js'
import { plan } from '../xen/migrate.js'
import { build, decodeScenario } from '../xen/scenario.js'
import { recordTypeName, typeOf, type Stream, type StreamRecord } from '../xen/stream.js'
import * as jsonText from '../addresses/json-text.js'
import { parseArgs } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'

/** Usage text. */
export const XEN_USAGE = `usage: ramaddr xen encode FILE.json [--soft] > STREAM
       ramaddr xen decode STREAM [--json]

encode: builds the domain FILE.json describes (host p2m runs, altp2m views as the
operations that make them, optional log-dirty writes) and writes its migration stream:
Xen's v2 format (little-endian), PAGE_DATA for every RAM page and then the dirty ones,
the views as ALTP2M_VIEW records (0x7fffff01, this project's extension), or with --soft
(or "migration": {"views": "soft"}) one optional ALTP2M_DROPPED record (0xffffff01).
decode: prints the headers and one line per record; --json prints them as JSON.
`

const hexRange = (pfns: ReadonlyArray<{ pfn: bigint }>): string => {
  const first = pfns[0]
  const last = pfns[pfns.length - 1]
  return first === undefined || last === undefined ? '' : ` ${toHex(first.pfn)}..${toHex(last.pfn)}`
}

const describe = (r: StreamRecord): string => {
  switch (r._tag) {
    case 'End':
    case 'StaticDataEnd':
      return ''
    case 'PageData':
      return `: ${r.pfns.length} pfns${hexRange(r.pfns)}, ${r.data.length} bytes of data`
    case 'Altp2mView': {
      const v = r.view
      return `: view ${v.index}, default ${v.defaultAccess}, ${v.remaps.length} remaps, ${v.access.length} access, ${v.suppressVeClear.length} #VE enabled`
    }
    case 'Altp2mDropped':
      return `: views ${r.views.join(',') || '(none)'} dropped${r.notify ? ', guest notified' : ''}`
    case 'Other':
      return `: ${r.body.length} bytes`
  }
}

const recordJson = (r: StreamRecord): Record<string, unknown> => {
  const head = { type: toHex(BigInt(typeOf(r))), name: recordTypeName(typeOf(r)) }
  switch (r._tag) {
    case 'End':
    case 'StaticDataEnd':
      return head
    case 'PageData':
      return {
        ...head,
        pfns: r.pfns.map((p) => ({ pfn: toHex(p.pfn), type: p.type })),
        dataBytes: r.data.length,
      }
    case 'Altp2mView': {
      const v = r.view
      return {
        ...head,
        view: v.index,
        defaultAccess: v.defaultAccess,
        remaps: v.remaps.map((m) => ({ gfn: toHex(m.gfn), target: toHex(m.target) })),
        access: v.access.map((a) => ({ gfn: toHex(a.gfn), access: a.access })),
        suppressVeClear: v.suppressVeClear.map(toHex),
      }
    }
    case 'Altp2mDropped':
      return { ...head, views: r.views, notify: r.notify }
    case 'Other':
      return { ...head, bodyBytes: r.body.length }
  }
}

/** `NAME (0xTYPE)` for a record type, memoised: a stream repeats a few types many times. */
const labels = new Map<number, string>()
const label = (type: number): string => {
  const hit = labels.get(type)
  if (hit !== undefined) return hit
  const l = `${recordTypeName(type)} (${toHex(BigInt(type))})`
  if (labels.size < 256) labels.set(type, l)
  return l
}

/** Writes `lines` through `out`, joined by newlines, some 64 KiB at a time. */
const writeLines = (out: (text: string) => void, lines: Iterable<string>): void => {
  let buf = ''
  for (const l of lines) {
    buf += l + '\n'
    if (buf.length >= 1 << 16) {
      out(buf)
      buf = ''
    }
  }
  if (buf.length > 0) out(buf)
}

function* text(s: Stream): Generator<string, void, undefined> {
  const dom =
    s.domain.type === 2 ? 'x86 HVM' : s.domain.type === 1 ? 'x86 PV' : `type ${s.domain.type}`
  yield `image: version ${s.image.version}, ${s.image.bigEndian ? 'big' : 'little'}-endian`
  yield `domain: ${dom}, page_shift ${s.domain.pageShift}, Xen ${s.domain.xenMajor}.${s.domain.xenMinor}`
  for (const [i, r] of s.records.entries()) yield `${i} ${label(typeOf(r))}${describe(r)}`
}

/** Text of the records without a body, memoised per record value (the decoder shares them). */
const emptyTexts = new WeakMap<StreamRecord, string>()

/** One record's JSON, laid out two levels deep. */
const recordText = (r: StreamRecord): string => {
  const hit = emptyTexts.get(r)
  if (hit !== undefined) return hit
  const t = '  ' + JSON.stringify(recordJson(r), null, 1).replace(/\n/g, '\n  ')
  if (r._tag === 'End' || r._tag === 'StaticDataEnd' || (r._tag === 'Other' && r.body.length === 0))
    emptyTexts.set(r, t)
  return t
}

/**
 * The lines of `JSON.stringify({ image, domain, records }, null, 1)`, one record at a
 * time: a record sits two levels deep, so its own one-space layout indented by two spaces
 * is the whole document's.
 */
function* json(s: Stream): Generator<string, void, undefined> {
  const head = JSON.stringify({ image: s.image, domain: s.domain }, null, 1)
  yield head.slice(0, head.lastIndexOf('\n}')) + ','
  yield ' "records": ['
  const n = s.records.length
  for (const [i, r] of s.records.entries()) yield recordText(r) + (i < n - 1 ? ',' : '')
  yield ' ]'
  yield '}'
}

const encodeCmd = (path: string, soft: boolean, io: Io): E.Either<Failure, string> => {
  const write = io.stdoutBytes
  if (write === undefined) return E.left(inputError('this Io cannot write bytes (no stdoutBytes)'))
  return pipe(
    io.readFile(path),
    E.mapLeft(inputError),
    E.chain((t) =>
      pipe(
        jsonText.parse(t),
        E.mapLeft((e) => inputError(`${path}: not JSON: ${e.message}`)),
      ),
    ),
    E.chain((u) =>
      pipe(
        decodeScenario(u),
        E.mapLeft((e) => inputError(`${path}: ${e.message}`)),
      ),
    ),
    E.chain((s) =>
      pipe(
        build(s),
        E.mapLeft((e) => inputError(`${path}: ${e.message}`)),
      ),
    ),
    E.chain(({ domain, options }) =>
      pipe(
        plan(soft ? { ...options, views: 'soft' } : options)(domain),
        E.mapLeft((e) => inputError(`${path}: ${e.message}`)),
      ),
    ),
    E.chain((s) =>
      pipe(
        encodeChunks(s),
        E.mapLeft((e) => inputError(e.message)),
      ),
    ),
    E.map((chunks) => {
      // checked whole before the first byte; written a chunk at a time (bounded memory)
      for (const c of chunks) write(c)
      return ''
    }),
  )
}

const decodeCmd = (path: string, asJson: boolean, io: Io): E.Either<Failure, string> => {
  const read = io.readBytes
  if (read === undefined) return E.left(inputError('this Io cannot read bytes (no readBytes)'))
  return pipe(
    read(path),
    E.mapLeft(inputError),
    E.chain((b) =>
      pipe(
        decode(b),
        E.mapLeft((e) => inputError(`${path}: ${e.message}`)),
      ),
    ),
    E.map((s) => {
      // the stream decoded whole and checked first, then written as it is formatted
      writeLines(io.stdout, asJson ? json(s) : text(s))
      return ''
    }),
  )
}

/** Runs the subcommand. */
export const xenCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs({ flags: ['json', 'soft'], options: [] })(argv),
    E.chain((args) => {
      const [sub, file, ...extra] = args.positionals
      if (extra.length > 0)
        return E.left(usageError(`unexpected argument ${JSON.stringify(extra[0])}`))
      if (sub === undefined) return E.left(usageError('expected encode or decode'))
      if (file === undefined) return E.left(usageError(`xen ${sub} needs a FILE`))
      if (sub === 'encode') {
        if (args.flags.has('json')) return E.left(usageError('--json is for decode'))
        return encodeCmd(file, args.flags.has('soft'), io)
      }
      if (sub === 'decode') {
        if (args.flags.has('soft')) return E.left(usageError('--soft is for encode'))
        return decodeCmd(file, args.flags.has('json'), io)
      }
      return E.left(usageError(`unknown xen subcommand ${JSON.stringify(sub)} (encode or decode)`))
    }),
  )
