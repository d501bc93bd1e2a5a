/**
 * `ramaddr migstream FILE [--mtree TREE --ramblock RAMBLOCK] [--json] [--pages] [--quiet]`:
 * a QEMU migration stream's sections, and the pages each pass sent, per RAMBlock, by
 * `ram_addr_t` and by GPA.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { RamAddr, type Gpa } from '../addresses/kinds.js'
import { runs } from '../bitmap/runs.js'
import type { PageRecord, StreamEvent } from '../migration/stream/events.js'
import { summarizer, type PassSummary, type StreamSummary } from '../migration/stream/summary.js'
import { decodeChunks } from '../node/migration-stream.js'
import type { RamList } from '../ramblock/ram-list.js'
import {
  gpaRangesOfRamRange,
  gpasOfRamAddr,
  make,
  type AddressMap,
} from '../translate/address-map.js'
import { lastOption, parseArgs, type Args } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'
import { loadRamList, loadTopology } from './load.js'

/** Usage text. */
export const MIGSTREAM_USAGE = `usage: ramaddr migstream FILE [--ramblock RAMBLOCK [--mtree TREE]] [--json] [--pages] [--quiet]

Decode a QEMU migration stream (7.2 to 10.0; FILE - reads standard input, so a live
\`migrate "exec:cat"\` pipe works) and print its RAM blocks, its sections, and the pages
each pass sent per RAMBlock (pages counts every page record, zero pages included). A pass
is inferred where the walk goes back in QEMU's block order or within a block: the stream
does not mark bitmap syncs. With --ramblock (the source's \`info ramblock\`) each page also
has its ram_addr_t; with --mtree too (the source's \`info mtree\`), the GPAs it is mapped
at, and each pass the GPA ranges it touched. --pages lists every page record in stream
order. --json prints JSON: numbers that may pass 2^53 as "0x…" strings.
A progress line goes to standard error when it is a terminal, unless --quiet.
`

const SPEC = { flags: ['json', 'pages', 'quiet'], options: ['mtree', 'ramblock', 'as'] }

interface Context {
  readonly list: RamList | undefined
  readonly map: AddressMap | undefined
}

const loadContext = (args: Args, io: Io): E.Either<Failure, Context> => {
  const hasTree = lastOption(args, 'mtree') !== undefined
  const hasList = lastOption(args, 'ramblock') !== undefined
  if (hasTree && !hasList) return E.left(usageError('--mtree needs --ramblock RAMBLOCK too'))
  if (!hasList) return E.right({ list: undefined, map: undefined })
  return pipe(
    loadRamList(args, io),
    E.chain((list) =>
      !hasTree
        ? E.right({ list, map: undefined })
        : pipe(
            loadTopology(args, io),
            E.chain((topology) =>
              pipe(
                make({ topology, ramList: list, addressSpace: lastOption(args, 'as') ?? 'memory' }),
                E.bimap(
                  (e) => inputError(e.message),
                  (map): Context => ({ list, map }),
                ),
              ),
            ),
          ),
    ),
  )
}

/** A page record as `--pages` prints it. */
const recordJson = (r: PageRecord, ctx: Context): string => {
  let s = `{"block":${JSON.stringify(r.block)},"offset":"${toHex(r.offset)}","kind":"${r.kind}","at":${r.at}`
  if (ctx.list !== undefined) {
    const b = ctx.list.blocks.find((x) => x.idstr === r.block)
    const ramAddr = b === undefined ? undefined : b.offset + r.offset
    s += `,"ramAddr":${ramAddr === undefined ? 'null' : `"${toHex(ramAddr)}"`}`
    if (ctx.map !== undefined) {
      const gpas = ramAddr === undefined ? [] : gpasOfRamAddr(RamAddr.unsafe(ramAddr))(ctx.map)
      s += `,"gpas":[${gpas.map((g) => `"${toHex(g)}"`).join(',')}]`
    }
  }
  return s + '}'
}

const recordText = (r: PageRecord, ctx: Context): string => {
  let s = `${r.at} ${r.kind} ${r.block} ${toHex(r.offset)}`
  if (ctx.list !== undefined) {
    const b = ctx.list.blocks.find((x) => x.idstr === r.block)
    const ramAddr = b === undefined ? undefined : b.offset + r.offset
    s += ` ram_addr_t ${ramAddr === undefined ? '(no RAMBlock)' : toHex(ramAddr)}`
    if (ctx.map !== undefined) {
      const gpas = ramAddr === undefined ? [] : gpasOfRamAddr(RamAddr.unsafe(ramAddr))(ctx.map)
      s += ` gpa ${gpas.length === 0 ? 'not mapped' : gpas.map((g) => toHex(g)).join(' ')}`
    }
  }
  return s + '\n'
}

/** The GPA ranges a pass's pages are mapped at, merged and ascending. */
const gpaRanges = (
  pass: PassSummary,
  map: AddressMap,
): ReadonlyArray<{ start: bigint; end: bigint }> => {
  if (O.isNone(pass.ramPages)) return []
  const out: Array<{ start: bigint; end: bigint }> = []
  for (const run of runs(pass.ramPages.value)) {
    const r = {
      start: RamAddr.unsafe(BigInt(run.start) * 4096n),
      end: RamAddr.unsafe(BigInt(run.end) * 4096n),
    }
    for (const piece of gpaRangesOfRamRange(r)(map))
      out.push({ start: piece.gpa.start as Gpa, end: piece.gpa.end as Gpa })
  }
  out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const merged: Array<{ start: bigint; end: bigint }> = []
  for (const r of out) {
    const last = merged[merged.length - 1]
    if (last !== undefined && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end
    } else merged.push({ ...r })
  }
  return merged
}

const summaryJson = (s: StreamSummary): string => {
  const passes = s.passes.map((p) => {
    const byBlock = [...p.byBlock]
      .map(([k, v]) => `${JSON.stringify(k)}:{"pages":${v.pages},"zeroPages":${v.zeroPages}}`)
      .join(',')
    return `{"pages":${p.pages},"zeroPages":${p.zeroPages},"byBlock":{${byBlock}}}`
  })
  return (
    `"version":${s.version},` +
    `"blocks":${JSON.stringify(s.blocks.map((b) => ({ idstr: b.idstr, usedLength: toHex(b.usedLength) })))},` +
    `"sections":${JSON.stringify(s.sections.map((x) => ({ idstr: x.idstr, instance: x.instance, version: x.version })))},` +
    `"pages":${s.pages},"zeroPages":${s.zeroPages},` +
    `"passes":[${passes.join(',')}]`
  )
}

const MIB = 1024 * 1024

const summaryText = (s: StreamSummary, ctx: Context): string => {
  const lines: string[] = []
  const machine = O.isSome(s.machine) ? `, machine ${s.machine.value}` : ''
  lines.push(`migration stream version ${s.version}${machine}, ${s.bytes} bytes`)
  lines.push(`RAM blocks (QEMU's list order):`)
  for (const b of s.blocks) lines.push(`  ${b.idstr}  used ${toHex(b.usedLength)}`)
  lines.push(`sections:`)
  for (const x of s.sections)
    lines.push(
      `  ${x.idstr}  instance ${x.instance}  version ${x.version}  (section ${x.sectionId})`,
    )
  lines.push(
    `pages: ${s.pages} (${s.zeroPages} zero, ${s.xbzrlePages} XBZRLE), ${s.dataBytes} bytes of page data, in ${s.passes.length} pass${s.passes.length === 1 ? '' : 'es'}`,
  )
  s.passes.forEach((p, i) => {
    lines.push(
      `pass ${i + 1} (from byte ${p.at}): ${p.pages} pages (${p.zeroPages} zero, ${p.xbzrlePages} XBZRLE), ${p.dataBytes} bytes`,
    )
    for (const [k, v] of p.byBlock)
      lines.push(
        `  ${k}: ${v.pages} pages (${v.zeroPages} zero, ${v.xbzrlePages} XBZRLE), ${v.dataBytes} bytes`,
      )
    if (ctx.map !== undefined) {
      const ranges = gpaRanges(p, ctx.map)
      const shown = ranges.slice(0, 32).map((r) => `${toHex(r.start)}-${toHex(r.end - 1n)}`)
      if (ranges.length > 32) shown.push(`… ${ranges.length - 32} more`)
      lines.push(`  GPAs: ${ranges.length === 0 ? 'none mapped' : shown.join(' ')}`)
    }
  })
  if (s.missingBlocks.length > 0)
    lines.push(`blocks not in --ramblock: ${s.missingBlocks.join(' ')}`)
  return lines.join('\n') + '\n'
}

/** Chunks of `path`: streamed when the Io can, else read whole. */
async function* chunksOf(io: Io, path: string): AsyncIterable<Uint8Array> {
  if (io.readStream !== undefined) {
    yield* io.readStream(path)
    return
  }
  if (io.readBytes === undefined) throw new Error(`cannot read ${path}: no byte input`)
  const bytes = io.readBytes(path)
  if (E.isLeft(bytes)) throw new Error(bytes.left)
  yield bytes.right
}

/**
 * Runs `migstream`: decodes FILE chunk by chunk; `--pages` records go to standard output
 * as they are decoded (a stream's records may not fit in memory), the rest at the end.
 * On bad input after records were printed, standard output holds them unterminated.
 */
export const migstreamCommand = async (
  argv: ReadonlyArray<string>,
  io: Io,
): Promise<E.Either<Failure, string>> => {
  const parsed = parseArgs(SPEC)(argv)
  if (E.isLeft(parsed)) return parsed
  const args = parsed.right
  const [file, ...extra] = args.positionals
  if (file === undefined || extra.length > 0)
    return E.left(usageError('expected exactly one FILE (- for standard input)'))
  const context = loadContext(args, io)
  if (E.isLeft(context)) return context
  const ctx = context.right
  const json = args.flags.has('json')
  const withPages = args.flags.has('pages')
  const progress = io.stderrIsTty === true && !args.flags.has('quiet')

  const fold = summarizer(ctx.list)
  let out: string[] = []
  let outLen = 0
  let records = 0
  let pages = 0
  const flush = (): void => {
    if (out.length > 0) io.stdout(out.join(''))
    out = []
    outLen = 0
  }
  if (withPages && json) out.push('{"records":[')
  const emit = (e: StreamEvent): void => {
    fold.add(e)
    if (e._tag !== 'Page') return
    pages++
    if (!withPages) return
    const line = json ? (records === 0 ? '\n' : ',\n') + recordJson(e, ctx) : recordText(e, ctx)
    records++
    out.push(line)
    outLen += line.length
    if (outLen > 1 << 16) flush()
  }
  let lastShown = Date.now()
  let shown = false
  const onChunk = (bytes: number): void => {
    if (!progress) return
    const now = Date.now()
    if (now - lastShown < 1000) return
    lastShown = now
    shown = true
    io.stderr(`\rmigstream: ${(bytes / MIB).toFixed(1)} MiB, ${pages} pages`)
  }
  const r = await decodeChunks(chunksOf(io, file), emit, { onChunk })
  if (shown) io.stderr('\r\x1b[K')
  if (E.isLeft(r)) {
    flush()
    return E.left(inputError(`${file}: ${r.left.message}`))
  }
  const summary = fold.result()
  if (E.isLeft(summary)) {
    flush()
    return E.left(inputError(`${file}: ${summary.left.message}`))
  }
  if (json) {
    const body = summaryJson(summary.right)
    if (withPages) {
      out.push(`\n],${body}}\n`)
      flush()
      return E.right('')
    }
    return E.right(`{${body}}\n`)
  }
  flush()
  return E.right(summaryText(summary.right, ctx))
}
