/**
 * A chunked decoder of QEMU migration streams (7.2 and 10.0): fed the stream's bytes in
 * chunks of any size, it reports the stream's events as soon as each is complete, and
 * keeps no more than the record it is in the middle of (plus a bounded XBZRLE page cache).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { streamError, type StreamBlock, type StreamError, type StreamEvent } from './events.js'
import { xbzrleDecode } from './xbzrle.js'

/** Options of {@link decoder}. */
export interface DecoderOptions {
  /** `TARGET_PAGE_SIZE` of the source: the page size and the flag bits of a record header. Default 4096. */
  readonly targetPageSize?: number
  /**
   * How many pages' latest contents the decoder keeps to decode XBZRLE deltas against
   * (rounded up to a power of two, direct-mapped by the page's index in the block list's
   * blocks laid end to end, as QEMU's own cache is by address). Default 16384 (64 MiB,
   * QEMU's default `xbzrle-cache-size`; allocated as pages arrive); 0 keeps none, and
   * every XBZRLE record's `data` is then `undefined`.
   */
  readonly xbzrleCachePages?: number
  /** The longest device section body to search for its footer. Default 64 MiB. */
  readonly maxSectionBytes?: number
  /** The longest vmdesc JSON accepted. Default 64 MiB. */
  readonly maxVmdescBytes?: number
}

/** A decoder: push chunks, then end; each call reports the events it completed. */
export interface Decoder {
  /**
   * Decodes `chunk`, the stream's next bytes, calling `emit` for every event it
   * completes; once an error is returned every later call returns it again.
   */
  readonly push: (
    chunk: Uint8Array,
    emit: (event: StreamEvent) => void,
  ) => E.Either<StreamError, void>
  /** Ends the input: completes what the last chunk left and checks that the stream is whole. */
  readonly end: (emit: (event: StreamEvent) => void) => E.Either<StreamError, void>
  /** Bytes pushed so far. */
  readonly position: () => number
}

// savevm.c
const QEMU_VM_FILE_MAGIC = 0x5145564d
const QEMU_VM_FILE_VERSION = 3
const QEMU_VM_EOF = 0x00
const QEMU_VM_SECTION_START = 0x01
const QEMU_VM_SECTION_PART = 0x02
const QEMU_VM_SECTION_END = 0x03
const QEMU_VM_SECTION_FULL = 0x04
const QEMU_VM_SUBSECTION = 0x05
const QEMU_VM_VMDESCRIPTION = 0x06
const QEMU_VM_CONFIGURATION = 0x07
const QEMU_VM_COMMAND = 0x08
const QEMU_VM_SECTION_FOOTER = 0x7e
// ram.c / ram.h
const FLAG_ZERO = 0x02
const FLAG_MEM_SIZE = 0x04
const FLAG_PAGE = 0x08
const FLAG_EOS = 0x10
const FLAG_CONTINUE = 0x20
const FLAG_XBZRLE = 0x40
const FLAG_HOOK = 0x80
const FLAG_COMPRESS_PAGE = 0x100
const FLAG_MULTIFD_FLUSH = 0x200
const ENCODING_FLAG_XBZRLE = 0x1

const MAX_BLOCKS = 4096
const MAX_SECTIONS = 65536
const MAX_CAPABILITIES = 1024
const SECTION_TYPES: ReadonlyArray<'start' | 'part' | 'end' | 'full'> = [
  'start',
  'part',
  'end',
  'full',
]

type State = 'header' | 'top' | 'ram' | 'device' | 'afterEof' | 'done' | 'failed'

interface Section {
  readonly idstr: string
  readonly instance: number
  readonly version: number
  readonly ram: boolean
}

/** The result of trying to read an item: consumed up to, need more bytes, or failed. */
const NEED = -1
const FAIL = -2

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`

const latin1 = (d: Uint8Array, start: number, end: number): string => {
  let s = ''
  for (let i = start; i < end; i++) s += String.fromCharCode(d[i] ?? 0)
  return s
}

const printable = (d: Uint8Array, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) {
    const c = d[i] ?? 0
    if (c < 0x20 || c > 0x7e) return false
  }
  return true
}

const u32 = (d: Uint8Array, p: number): number =>
  (((d[p] ?? 0) << 24) | ((d[p + 1] ?? 0) << 16) | ((d[p + 2] ?? 0) << 8) | (d[p + 3] ?? 0)) >>> 0

const u16 = (d: Uint8Array, p: number): number => ((d[p] ?? 0) << 8) | (d[p + 1] ?? 0)

const u64 = (d: Uint8Array, p: number): bigint => {
  const hi = u32(d, p)
  const lo = u32(d, p + 4)
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo)
}

/**
 * A decoder of one migration stream: QEMU's file header (`QEMU_VM_FILE_MAGIC`, version
 * 3), the configuration section, section records (start, part, end, full) with their
 * footers, commands, `QEMU_VM_EOF` and the trailing vmdesc JSON (savevm.c); inside the
 * RAM section (idstr `ram`) the block list and the page records (ram.c
 * `ram_load_precopy`: `ZERO`, `PAGE`, `XBZRLE`, `CONTINUE`, `EOS`, `MULTIFD_FLUSH`).
 *
 * Device sections carry no length in the stream: the decoder skips a device section's
 * body up to the first `QEMU_VM_SECTION_FOOTER` with the section's id that is followed by
 * a well-formed next record (a section header with a printable idstr, a known section's
 * part or end, a command, or `QEMU_VM_EOF` then the vmdesc or the end), which needs the
 * footers every machine type since 2.4 sends (`send_section_footer`); the vmdesc then
 * lists the same devices (a test checks it on every recorded stream). What it cannot read
 * is an error with the byte offset: compressed pages (7.2's `compress` capability), RDMA
 * hooks, postcopy/ignore-shared block lists, streams without footers, mapped-ram files.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * import * as either from 'fp-ts/lib/Either.js'
 * const d = stream.decoder()
 * const tags = []
 * const header = new Uint8Array([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3])
 * // fed one byte at a time
 * for (const b of header) d.push(new Uint8Array([b]), (e) => tags.push(e._tag))
 * assert.deepEqual(tags, ['Header'])
 * const r = d.end(() => {})
 * assert.ok(either.isLeft(r) && r.left.at === 8)
 */
export const decoder = (options: DecoderOptions = {}): Decoder => {
  const pageSize = options.targetPageSize ?? 4096
  const flagMask = pageSize - 1
  const cacheRequested = Math.max(0, Math.floor(options.xbzrleCachePages ?? 16384))
  // a power of two of slots, direct-mapped as QEMU's own XBZRLE cache is
  // (migration/page_cache.c cache_get_cache_pos), by the page's index in the stream's
  // blocks laid end to end: a stream whose blocks fit is never evicted from
  const maxSlots = cacheRequested === 0 ? 0 : 2 ** Math.ceil(Math.log2(cacheRequested))
  const maxSection = options.maxSectionBytes ?? 64 << 20
  const maxVmdesc = options.maxVmdescBytes ?? 64 << 20

  let state: State = 'header'
  let error: StreamError | undefined =
    Number.isInteger(pageSize) &&
    pageSize >= 512 &&
    pageSize <= 65536 &&
    (pageSize & flagMask) === 0
      ? undefined
      : streamError(
          0,
          'a targetPageSize option that is a power of two from 512 to 65536',
          `${pageSize}`,
        )
  // bytes before `acc` (absolute offset of acc[0]) and the bytes held over from a chunk
  let accBase = 0
  let acc = new Uint8Array(0)
  let accLen = 0
  let total = 0
  // bytes needed at the current item before trying again (a hint; 0: try)
  let need = 0

  const sections = new Map<number, Section>()
  let current = -1 // id of the section whose records are being read
  let blocks: ReadonlyArray<StreamBlock> = []
  let blockIndex = new Map<string, number>()
  let lastBlock = -1
  let deviceScan = 0 // device state: how far the footer search got, relative to the body start
  let seenConfiguration = false
  let seenItem = false
  // allocated at the block list, no larger than its pages need
  let slots = 0
  let cacheKey = new Float64Array(0)
  let cacheFill = new Int16Array(0)
  let cacheBuf: Array<Uint8Array | undefined> = []
  let blockBase: number[] = []
  let scratchBuf: Uint8Array | undefined
  const scratch = (): Uint8Array => (scratchBuf ??= new Uint8Array(pageSize))

  const fail = (at: number, expected: string, found: string): number => {
    error = streamError(at, expected, found)
    state = 'failed'
    return FAIL
  }

  /** Keeps a page's latest contents: its bytes, or a fill byte (0-255). */
  const remember = (key: number, bytes: Uint8Array | undefined, fill: number): void => {
    const slot = key % slots
    cacheKey[slot] = key
    if (bytes === undefined) {
      cacheFill[slot] = fill
      return
    }
    cacheFill[slot] = -1
    let buf = cacheBuf[slot]
    if (buf === undefined) {
      buf = new Uint8Array(pageSize)
      cacheBuf[slot] = buf
    }
    buf.set(bytes)
  }

  /** Is there a well-formed record at `q` (after a footer)? 1 yes, 0 no, -1 need more. */
  const plausibleNext = (d: Uint8Array, q: number, end: number, final: boolean): number => {
    if (q >= end) return final ? 0 : -1
    const t = d[q] ?? 0
    switch (t) {
      case QEMU_VM_EOF: {
        if (q + 1 >= end) return final ? 1 : -1
        if (d[q + 1] !== QEMU_VM_VMDESCRIPTION) return 0
        if (q + 7 > end) return final ? 0 : -1
        return d[q + 6] === 0x7b ? 1 : 0
      }
      case QEMU_VM_SECTION_START:
      case QEMU_VM_SECTION_FULL: {
        if (q + 6 > end) return final ? 0 : -1
        const len = d[q + 5] ?? 0
        if (len === 0) return 0
        if (q + 6 + len + 8 > end) return final ? 0 : -1
        return printable(d, q + 6, q + 6 + len) ? 1 : 0
      }
      case QEMU_VM_SECTION_PART:
      case QEMU_VM_SECTION_END:
        if (q + 5 > end) return final ? 0 : -1
        return sections.has(u32(d, q + 1)) ? 1 : 0
      case QEMU_VM_COMMAND:
        if (q + 5 > end) return final ? 0 : -1
        return u16(d, q + 1) < 64 ? 1 : 0
      default:
        return 0
    }
  }

  /** The configuration section (savevm.c `vmstate_configuration`). */
  const configuration = (
    d: Uint8Array,
    p: number,
    end: number,
    base: number,
    emit: (e: StreamEvent) => void,
  ): number => {
    let q = p + 1
    if (end - q < 4) return NEED
    const nameLen = u32(d, q)
    if (nameLen > 256)
      return fail(base + q, 'a machine type name of at most 256 bytes', `length ${nameLen}`)
    q += 4
    if (end - q < nameLen) return NEED
    const machine = latin1(d, q, q + nameLen)
    q += nameLen
    const subsections: string[] = []
    for (;;) {
      if (end - q < 1) return NEED
      if (d[q] !== QEMU_VM_SUBSECTION) break
      const at = q
      if (end - q < 2) return NEED
      const len = d[q + 1] ?? 0
      if (end - q < 2 + len + 4) return NEED
      const name = latin1(d, q + 2, q + 2 + len)
      q += 2 + len + 4
      if (name === 'configuration/target-page-bits') {
        if (end - q < 4) return NEED
        q += 4
      } else if (name === 'configuration/uuid') {
        if (end - q < 16) return NEED
        q += 16
      } else if (name === 'configuration/capabilities') {
        if (end - q < 4) return NEED
        const count = u32(d, q)
        if (count > MAX_CAPABILITIES)
          return fail(base + q, `at most ${MAX_CAPABILITIES} capabilities`, `${count}`)
        q += 4
        for (let i = 0; i < count; i++) {
          if (end - q < 1) return NEED
          const n = d[q] ?? 0
          if (end - q < 1 + n) return NEED
          q += 1 + n
        }
      } else
        return fail(
          base + at,
          'a configuration subsection of QEMU 7.2-10.0 (target-page-bits, capabilities, uuid)',
          JSON.stringify(name),
        )
      subsections.push(name)
    }
    emit({ _tag: 'Configuration', at: base + p, machine, subsections })
    return q
  }

  /** One top-level record at `p`. */
  const top = (
    d: Uint8Array,
    p: number,
    end: number,
    base: number,
    emit: (e: StreamEvent) => void,
  ): number => {
    const t = d[p] ?? 0
    const first = !seenItem
    switch (t) {
      case QEMU_VM_EOF:
        emit({ _tag: 'Eof', at: base + p })
        state = 'afterEof'
        return p + 1
      case QEMU_VM_SECTION_START:
      case QEMU_VM_SECTION_FULL: {
        if (end - p < 6) return NEED
        const id = u32(d, p + 1)
        const len = d[p + 5] ?? 0
        if (end - p < 6 + len + 8) return NEED
        if (len === 0) return fail(base + p + 5, 'a section idstr', 'an empty one')
        const idstr = latin1(d, p + 6, p + 6 + len)
        const instance = u32(d, p + 6 + len)
        const version = u32(d, p + 10 + len)
        if (!sections.has(id) && sections.size >= MAX_SECTIONS)
          return fail(base + p, `at most ${MAX_SECTIONS} sections`, 'more')
        const ram = idstr === 'ram'
        if (ram && version !== 4)
          return fail(base + p + 10 + len, 'RAM section version 4', `version ${version}`)
        sections.set(id, { idstr, instance, version, ram })
        current = id
        seenItem = true
        emit({
          _tag: 'Section',
          at: base + p,
          type: t === QEMU_VM_SECTION_START ? 'start' : 'full',
          sectionId: id,
          idstr,
          instance,
          version,
        })
        state = ram ? 'ram' : 'device'
        deviceScan = 0
        return p + 14 + len
      }
      case QEMU_VM_SECTION_PART:
      case QEMU_VM_SECTION_END: {
        if (end - p < 5) return NEED
        const id = u32(d, p + 1)
        const s = sections.get(id)
        if (s === undefined)
          return fail(base + p + 1, 'the id of a section started before', `id ${id}`)
        current = id
        seenItem = true
        emit({
          _tag: 'Section',
          at: base + p,
          type: SECTION_TYPES[t - 1] ?? 'part',
          sectionId: id,
          idstr: s.idstr,
          instance: s.instance,
          version: s.version,
        })
        state = s.ram ? 'ram' : 'device'
        deviceScan = 0
        return p + 5
      }
      case QEMU_VM_SECTION_FOOTER: {
        if (end - p < 5) return NEED
        const id = u32(d, p + 1)
        if (id !== current)
          return fail(base + p + 1, `the footer of section ${current}`, `section ${id}`)
        emit({ _tag: 'SectionFooter', at: base + p, sectionId: id })
        return p + 5
      }
      case QEMU_VM_CONFIGURATION: {
        if (!first || seenConfiguration)
          return fail(base + p, 'the configuration only right after the header', 'a second one')
        const q = configuration(d, p, end, base, emit)
        if (q >= 0) seenConfiguration = true
        return q
      }
      case QEMU_VM_COMMAND: {
        if (end - p < 5) return NEED
        const command = u16(d, p + 1)
        const len = u16(d, p + 3)
        if (end - p < 5 + len) return NEED
        seenItem = true
        emit({ _tag: 'Command', at: base + p, command, length: len })
        return p + 5 + len
      }
      default:
        return fail(
          base + p,
          'a record type (QEMU_VM_EOF, SECTION_START/PART/END/FULL, CONFIGURATION, COMMAND or SECTION_FOOTER)',
          hex(t),
        )
    }
  }

  /** The block list of a `RAM_SAVE_FLAG_MEM_SIZE` record (ram.c `parse_ramblocks`). */
  const memSize = (
    d: Uint8Array,
    p: number,
    end: number,
    base: number,
    totalBytes: bigint,
    emit: (e: StreamEvent) => void,
  ): number => {
    let q = p + 8
    let left = totalBytes
    const list: StreamBlock[] = []
    while (left > 0n) {
      if (end - q < 1) return NEED
      const len = d[q] ?? 0
      if (len === 0) return fail(base + q, 'a RAMBlock idstr', 'an empty one')
      if (end - q < 1 + len + 8) return NEED
      const idstr = latin1(d, q + 1, q + 1 + len)
      const used = u64(d, q + 1 + len)
      if (used > left)
        return fail(
          base + q + 1 + len,
          `a used length within the ${totalBytes} bytes the block list totals`,
          `0x${used.toString(16)} for ${idstr}`,
        )
      if (used === 0n) return fail(base + q + 1 + len, 'a non-zero used length', `0 for ${idstr}`)
      if (list.length >= MAX_BLOCKS)
        return fail(base + q, `at most ${MAX_BLOCKS} RAMBlocks`, 'more')
      list.push({ idstr, usedLength: used })
      left -= used
      q += 1 + len + 8
    }
    blocks = list
    blockIndex = new Map(list.map((b, i) => [b.idstr, i]))
    lastBlock = -1
    let pagesBefore = 0
    blockBase = list.map((b) => {
      const here = pagesBefore
      pagesBefore += Number(b.usedLength / BigInt(pageSize))
      return here
    })
    slots = Math.min(maxSlots, 2 ** Math.ceil(Math.log2(Math.max(1, pagesBefore))))
    cacheKey = new Float64Array(slots).fill(-1)
    cacheFill = new Int16Array(slots)
    cacheBuf = new Array<Uint8Array | undefined>(slots)
    emit({ _tag: 'RamBlocks', at: base + p, total: totalBytes, blocks: list })
    return q
  }

  /** One record of the RAM section at `p`. */
  const ram = (
    d: Uint8Array,
    p: number,
    end: number,
    base: number,
    emit: (e: StreamEvent) => void,
  ): number => {
    if (end - p < 8) return NEED
    const hi = u32(d, p)
    const lo = u32(d, p + 4)
    const flags = lo & flagMask
    const addrLo = (lo - flags) >>> 0
    const kind = flags & ~FLAG_CONTINUE
    switch (kind) {
      case FLAG_MEM_SIZE:
        return memSize(
          d,
          p,
          end,
          base,
          hi === 0 ? BigInt(addrLo) : (BigInt(hi) << 32n) | BigInt(addrLo),
          emit,
        )
      case FLAG_EOS:
        emit({ _tag: 'RamEos', at: base + p })
        state = 'top'
        return p + 8
      case FLAG_MULTIFD_FLUSH:
        emit({ _tag: 'MultifdFlush', at: base + p })
        return p + 8
      case FLAG_ZERO:
      case FLAG_PAGE:
      case FLAG_XBZRLE: {
        let q = p + 8
        let bi = lastBlock
        if ((flags & FLAG_CONTINUE) === 0) {
          if (end - q < 1) return NEED
          const len = d[q] ?? 0
          if (end - q < 1 + len) return NEED
          const idstr = latin1(d, q + 1, q + 1 + len)
          const found = blockIndex.get(idstr)
          if (found === undefined)
            return fail(
              base + q,
              blocks.length === 0
                ? 'the block list (RAM_SAVE_FLAG_MEM_SIZE) before any page'
                : 'the idstr of a block in the block list',
              JSON.stringify(idstr),
            )
          bi = found
          q += 1 + len
        } else if (bi < 0)
          return fail(
            base + p,
            'a block idstr (RAM_SAVE_FLAG_CONTINUE with no block before)',
            'CONTINUE',
          )
        const block = blocks[bi] as StreamBlock
        const offset = hi === 0 ? BigInt(addrLo) : (BigInt(hi) << 32n) | BigInt(addrLo)
        if (offset >= block.usedLength)
          return fail(
            base + p,
            `an offset within ${block.idstr} (used length 0x${block.usedLength.toString(16)})`,
            `0x${offset.toString(16)}`,
          )
        const pageNo = hi * 2 ** 32 + addrLo
        const key = (blockBase[bi] ?? 0) + Math.floor(pageNo / pageSize)
        if (kind === FLAG_ZERO) {
          if (end - q < 1) return NEED
          const fill = d[q] ?? 0
          lastBlock = bi
          if (slots > 0) remember(key, undefined, fill)
          emit({
            _tag: 'Page',
            at: base + p,
            kind: 'zero',
            block: block.idstr,
            blockIndex: bi,
            offset,
            data: undefined,
            encoded: undefined,
            fill,
            dataBytes: 0,
          })
          return q + 1
        }
        if (kind === FLAG_PAGE) {
          if (end - q < pageSize) return NEED
          const data = d.subarray(q, q + pageSize)
          lastBlock = bi
          if (slots > 0) remember(key, data, 0)
          emit({
            _tag: 'Page',
            at: base + p,
            kind: 'page',
            block: block.idstr,
            blockIndex: bi,
            offset,
            data,
            encoded: undefined,
            fill: 0,
            dataBytes: pageSize,
          })
          return q + pageSize
        }
        // XBZRLE (ram.c load_xbzrle)
        if (end - q < 3) return NEED
        const encoding = d[q] ?? 0
        if (encoding !== ENCODING_FLAG_XBZRLE)
          return fail(base + q, 'ENCODING_FLAG_XBZRLE (0x01)', hex(encoding))
        const len = u16(d, q + 1)
        if (len > pageSize)
          return fail(base + q + 1, `an XBZRLE length of at most ${pageSize}`, `${len}`)
        if (end - q < 3 + len) return NEED
        const encoded = d.subarray(q + 3, q + 3 + len)
        let data: Uint8Array | undefined
        const slot = slots > 0 ? key % slots : -1
        if (slot >= 0 && cacheKey[slot] === key) {
          let buf = cacheBuf[slot]
          if (buf === undefined) {
            buf = new Uint8Array(pageSize)
            cacheBuf[slot] = buf
          }
          const fill = cacheFill[slot] ?? -1
          if (fill >= 0) buf.fill(fill)
          cacheFill[slot] = -1
          data = buf
        } else data = undefined
        // decoded in place into the cached page, or (page unknown) into scratch to check it
        const r = xbzrleDecode(encoded, data ?? scratch())
        if (E.isLeft(r))
          return fail(base + q + 3 + r.left, 'a well-formed XBZRLE delta', 'a malformed run')
        lastBlock = bi
        emit({
          _tag: 'Page',
          at: base + p,
          kind: 'xbzrle',
          block: block.idstr,
          blockIndex: bi,
          offset,
          data,
          encoded,
          fill: 0,
          dataBytes: len,
        })
        return q + 3 + len
      }
      case FLAG_HOOK:
        return fail(base + p, 'a page record', 'RAM_SAVE_FLAG_HOOK (RDMA), not in a stream')
      case FLAG_COMPRESS_PAGE:
        return fail(
          base + p,
          'a page record',
          'RAM_SAVE_FLAG_COMPRESS_PAGE (7.2 compress capability): not supported',
        )
      default:
        return fail(
          base + p,
          'a RAM record (ZERO, PAGE, XBZRLE, MEM_SIZE, EOS, MULTIFD_FLUSH)',
          `flags ${hex(flags)}`,
        )
    }
  }

  /** A device section's body at `p`: up to its footer (see {@link decoder}). */
  const device = (
    d: Uint8Array,
    p: number,
    end: number,
    base: number,
    final: boolean,
    emit: (e: StreamEvent) => void,
  ): number => {
    const s = sections.get(current) as Section
    const id = current
    let c = p + deviceScan
    for (;;) {
      c = d.indexOf(QEMU_VM_SECTION_FOOTER, c)
      if (c < 0 || c >= end) {
        deviceScan = end - p
        break
      }
      if (c + 5 > end) {
        deviceScan = c - p
        if (final) break
        return NEED
      }
      if (u32(d, c + 1) === id) {
        const next = plausibleNext(d, c + 5, end, final)
        if (next < 0) {
          deviceScan = c - p
          return NEED
        }
        if (next > 0) {
          emit({ _tag: 'DeviceState', at: base + p, sectionId: id, idstr: s.idstr, length: c - p })
          emit({ _tag: 'SectionFooter', at: base + c, sectionId: id })
          state = 'top'
          deviceScan = 0
          return c + 5
        }
      }
      c += 1
    }
    if (end - p > maxSection || final)
      return fail(
        base + p,
        `the footer of section ${id} (${s.idstr}) within ${maxSection} bytes`,
        final ? 'the end of the stream' : 'none',
      )
    return NEED
  }

  /** Decodes as much of `d[p, end)` as is complete; returns where it stopped, or FAIL. */
  const run = (
    d: Uint8Array,
    p: number,
    end: number,
    base: number,
    final: boolean,
    emit: (e: StreamEvent) => void,
  ): number => {
    while (p < end) {
      let q: number
      switch (state) {
        case 'header': {
          if (end - p < 8) return p
          const magic = u32(d, p)
          if (magic !== QEMU_VM_FILE_MAGIC)
            return fail(base + p, 'QEMU_VM_FILE_MAGIC "QEVM"', `0x${magic.toString(16)}`)
          const version = u32(d, p + 4)
          if (version !== QEMU_VM_FILE_VERSION)
            return fail(base + p + 4, 'QEMU_VM_FILE_VERSION 3', `${version}`)
          emit({ _tag: 'Header', at: base + p, version })
          state = 'top'
          q = p + 8
          break
        }
        case 'top':
          q = top(d, p, end, base, emit)
          break
        case 'ram':
          q = ram(d, p, end, base, emit)
          break
        case 'device':
          q = device(d, p, end, base, final, emit)
          break
        case 'afterEof': {
          const t = d[p] ?? 0
          if (t !== QEMU_VM_VMDESCRIPTION)
            return fail(
              base + p,
              'the vmdesc (QEMU_VM_VMDESCRIPTION) or the end after QEMU_VM_EOF',
              hex(t),
            )
          if (end - p < 5) return p
          const len = u32(d, p + 1)
          if (len > maxVmdesc)
            return fail(base + p + 1, `a vmdesc of at most ${maxVmdesc} bytes`, `${len}`)
          if (end - p < 5 + len) {
            need = 5 + len
            return p
          }
          const json = new TextDecoder().decode(d.subarray(p + 5, p + 5 + len))
          emit({ _tag: 'VmDescription', at: base + p, json })
          state = 'done'
          q = p + 5 + len
          break
        }
        case 'done':
          return fail(base + p, 'the end of the stream after the vmdesc', hex(d[p] ?? 0))
        case 'failed':
          return FAIL
      }
      if (q === FAIL) return FAIL
      if (q === NEED) return p
      p = q
    }
    return p
  }

  const push = (chunk: Uint8Array, emit: (e: StreamEvent) => void): E.Either<StreamError, void> => {
    if (error !== undefined) return E.left(error)
    total += chunk.length
    if (accLen === 0) {
      const p = run(chunk, 0, chunk.length, accBase, false, emit)
      if (p === FAIL) return E.left(error as unknown as StreamError)
      accBase += p
      hold(chunk.subarray(p))
      return E.right(undefined)
    }
    hold(chunk)
    if (accLen < need) return E.right(undefined)
    need = 0
    return drain(false, emit)
  }

  const hold = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return
    if (accLen + bytes.length > acc.length) {
      const grown = new Uint8Array(Math.max(256, (accLen + bytes.length) * 2))
      grown.set(acc.subarray(0, accLen))
      acc = grown
    }
    acc.set(bytes, accLen)
    accLen += bytes.length
  }

  const drain = (final: boolean, emit: (e: StreamEvent) => void): E.Either<StreamError, void> => {
    const p = run(acc, 0, accLen, accBase, final, emit)
    if (p === FAIL) return E.left(error as unknown as StreamError)
    if (p > 0) {
      acc.copyWithin(0, p, accLen)
      accLen -= p
      accBase += p
      // give back a buffer grown for a long record
      if (acc.length > 1 << 16 && accLen < acc.length >> 2)
        acc = acc.slice(0, Math.max(256, accLen * 2))
    }
    return E.right(undefined)
  }

  const end = (emit: (e: StreamEvent) => void): E.Either<StreamError, void> => {
    if (error !== undefined) return E.left(error)
    if (accLen > 0 || state === 'device') {
      const r = drain(true, emit)
      if (E.isLeft(r)) return r
    }
    const at = accBase
    if (state === 'afterEof' || state === 'done') {
      if (accLen === 0) {
        emit({ _tag: 'End', at: total })
        return E.right(undefined)
      }
    }
    const expected: Record<State, string> = {
      header: 'the 8-byte file header',
      top: 'the next record or QEMU_VM_EOF',
      ram: 'the next RAM record (the RAM section ends with RAM_SAVE_FLAG_EOS)',
      device: 'the rest of a device section',
      afterEof: 'the rest of the vmdesc',
      done: 'the end',
      failed: 'the end',
    }
    error = streamError(
      at,
      expected[state],
      `the end of the stream (${accLen} bytes of an incomplete record)`,
    )
    state = 'failed'
    return E.left(error)
  }

  return { push, end, position: () => total }
}

/**
 * Decodes a whole stream held in memory: every event, in order (whole pages are views
 * into `bytes`, decoded XBZRLE pages copies), or the first error.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * import * as either from 'fp-ts/lib/Either.js'
 * const r = stream.decode(new Uint8Array([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3, 0]))
 * assert.deepEqual(either.map((es) => es.map((e) => e._tag))(r), either.right(['Header', 'Eof', 'End']))
 */
export const decode = (
  bytes: Uint8Array,
  options?: DecoderOptions,
): E.Either<StreamError, ReadonlyArray<StreamEvent>> => {
  const d = decoder(options)
  const events: StreamEvent[] = []
  const emit = (e: StreamEvent): void => {
    // a decoded XBZRLE page is a view of the decoder's cache: keep a copy
    events.push(
      e._tag === 'Page' && e.kind === 'xbzrle' && e.data !== undefined
        ? { ...e, data: e.data.slice() }
        : e,
    )
  }
  const r = d.push(bytes, emit)
  if (E.isLeft(r)) return r
  return E.map(() => events as ReadonlyArray<StreamEvent>)(d.end(emit))
}
