// A minimal, independent reader of QEMU migration streams, for tests only: enough of the
// format to list the RAM page records in stream order, with their bytes. It shares no code
// with src/ (the main decoder lives there) so that each can check the other.
//
// What it reads, from QEMU's migration/savevm.c, migration/savevm.h, migration/ram.c and
// migration/vmstate.c (7.2 and 10.0):
// - the header: be32 magic 0x5145564d ("QEVM"), be32 version 3;
// - QEMU_VM_CONFIGURATION (0x07): be32 length + machine type name, then the optional
//   subsections of vmstate "configuration" (target-page-bits: be32; capabilities: be32
//   count + count × (byte length + name); uuid: 16 bytes), each as QEMU_VM_SUBSECTION
//   (0x05), byte length + name, be32 version;
// - QEMU_VM_SECTION_START (0x01) / FULL (0x04): be32 section id, byte length + idstr,
//   be32 instance id, be32 version; SECTION_PART (0x02) / END (0x03): be32 section id;
//   after each section's data QEMU_VM_SECTION_FOOTER (0x7e) + be32 section id;
// - QEMU_VM_COMMAND (0x08): be16 command, be16 length, data;
// - QEMU_VM_EOF (0x00), then QEMU_VM_VMDESCRIPTION (0x06), be32 length, JSON.
// RAM sections ("ram") hold records: be64 (offset | flags); unless CONTINUE (0x20) a byte
// length + RAMBlock idstr follows; MEM_SIZE (0x04): the offset is the total and the block
// list follows (byte length + idstr, be64 used length, for each migratable block);
// ZERO (0x02): one fill byte; PAGE (0x08): 4096 bytes; XBZRLE (0x40): a byte 0x01
// (ENCODING_FLAG_XBZRLE), be16 length, that many bytes of (zero run, non-zero run, bytes)
// triples (runs as 1- or 2-byte ULEB128, migration/xbzrle.c): bytes of the zero runs keep
// the page's previous contents, the others are replaced; EOS (0x10): end of this chunk;
// MULTIFD_FLUSH (0x200): nothing. Any other flag is an error here.
// Device sections other than RAM (FULL) carry no length: they are skipped with the sizes
// the trailing vmdesc JSON records for their fields and subsections, and the reader checks
// that this lands exactly on the next section.

export const PAGE_SIZE = 4096

export interface PageRecord {
  readonly block: string
  readonly offset: bigint
  readonly kind: 'zero' | 'page' | 'xbzrle'
  /** Byte offset of the record's 8-byte header. */
  readonly at: number
  /** The fill byte of a ZERO record. */
  readonly fill?: number
  /**
   * The page's bytes: for PAGE records a view into the stream; for XBZRLE records the
   * page decoded against its previous record's contents.
   */
  readonly data?: Uint8Array
}

export interface SectionHeader {
  readonly type: 'start' | 'part' | 'end' | 'full'
  readonly id: number
  readonly idstr: string
  readonly instance: number
  readonly version: number
  readonly at: number
}

export interface StreamContents {
  readonly version: number
  readonly machine: string
  readonly memSize: bigint
  readonly blocks: ReadonlyArray<{ readonly idstr: string; readonly usedLength: bigint }>
  readonly records: ReadonlyArray<PageRecord>
  readonly sections: ReadonlyArray<SectionHeader>
  readonly commands: ReadonlyArray<{ readonly command: number; readonly at: number }>
  /** Byte offsets where a RAM section's EOS was read. */
  readonly eos: ReadonlyArray<number>
  readonly vmdesc: unknown
}

const fail = (at: number, what: string): never => {
  throw new Error(`stream-reader: at byte ${at}: ${what}`)
}

interface VmdescEntry {
  readonly name?: string
  readonly vmsd_name?: string
  readonly instance_id?: number
  readonly fields?: ReadonlyArray<{ readonly size?: number; readonly array_len?: number }>
  readonly subsections?: ReadonlyArray<VmdescEntry>
}

/** The bytes one vmdesc entry (a device or a subsection's contents) stands for. */
const entryBytes = (e: VmdescEntry): number => {
  let n = 0
  for (const f of e.fields ?? []) n += (f.size ?? 0) * (f.array_len ?? 1)
  for (const s of e.subsections ?? []) n += 1 + 1 + (s.vmsd_name ?? '').length + 4 + entryBytes(s)
  return n
}

/** The trailing vmdesc: its offset (the 0x06 byte) and parsed JSON, found from the end. */
const findVmdesc = (buf: Uint8Array): { at: number; json: unknown } | undefined => {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  for (let i = buf.length - 6; i >= 8; i--) {
    if (buf[i] !== 0x06 || buf[i + 5] !== 0x7b) continue
    if (view.getUint32(i + 1) !== buf.length - i - 5) continue
    return { at: i, json: JSON.parse(new TextDecoder().decode(buf.subarray(i + 5))) }
  }
  return undefined
}

/** Applies an XBZRLE delta (at: its offset in the stream, for errors) to page in place. */
const decodeXbzrle = (src: Uint8Array, page: Uint8Array, at: number): void => {
  let i = 0
  let d = 0
  const uleb = (): number => {
    const a = src[i] ?? fail(at + i, 'XBZRLE data ends inside a run length')
    if (a < 0x80) {
      i += 1
      return a
    }
    const b = src[i + 1] ?? fail(at + i, 'XBZRLE data ends inside a run length')
    if (b >= 0x80) fail(at + i, 'XBZRLE run length longer than 2 bytes')
    i += 2
    return (a & 0x7f) | (b << 7)
  }
  while (i < src.length) {
    d += uleb()
    const n = uleb()
    if (n === 0 || d + n > page.length || i + n > src.length)
      fail(at + i, 'XBZRLE run overflows the page or the data')
    page.set(src.subarray(i, i + n), d)
    i += n
    d += n
  }
}

/** Reads a whole stream held in memory; throws on anything it does not know. */
export const readStream = (buf: Uint8Array): StreamContents => {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  let p = 0
  const need = (n: number, what: string): void => {
    if (p + n > buf.length) fail(p, `stream ends inside ${what}`)
  }
  const u8 = (what: string): number => {
    need(1, what)
    return buf[p++] as number
  }
  const be16 = (what: string): number => {
    need(2, what)
    const v = view.getUint16(p)
    p += 2
    return v
  }
  const be32 = (what: string): number => {
    need(4, what)
    const v = view.getUint32(p)
    p += 4
    return v
  }
  const be64 = (what: string): bigint => {
    need(8, what)
    const v = view.getBigUint64(p)
    p += 8
    return v
  }
  const str = (n: number, what: string): string => {
    need(n, what)
    const s = new TextDecoder('latin1').decode(buf.subarray(p, p + n))
    p += n
    return s
  }
  const shortStr = (what: string): string => str(u8(`${what} length`), what)

  if (be32('magic') !== 0x5145564d) fail(0, 'expected the magic 0x5145564d (QEVM)')
  const version = be32('version')
  if (version !== 3) fail(4, `expected stream version 3, got ${version}`)
  let machine = ''
  if (buf[p] === 0x07) {
    p++
    machine = str(be32('machine name length'), 'machine name')
    while (buf[p] === 0x05) {
      const at = p++
      const name = shortStr('subsection name')
      be32('subsection version')
      if (name === 'configuration/target-page-bits') be32('target page bits')
      else if (name === 'configuration/capabilities') {
        const count = be32('capability count')
        for (let i = 0; i < count; i++) shortStr('capability')
      } else if (name === 'configuration/uuid') str(16, 'uuid')
      else fail(at, `unknown configuration subsection ${name}`)
    }
  }
  const vmdesc = findVmdesc(buf)
  const devices: VmdescEntry[] = [
    ...(((vmdesc?.json as { devices?: VmdescEntry[] } | undefined)?.devices ??
      []) as VmdescEntry[]),
  ]
  const idstrs = new Map<number, SectionHeader>()
  const sections: SectionHeader[] = []
  const records: PageRecord[] = []
  const commands: Array<{ command: number; at: number }> = []
  const eos: number[] = []
  let blocks: Array<{ idstr: string; usedLength: bigint }> = []
  let memSize = 0n
  let current: string | undefined
  // the last contents sent of each page: a fill byte or the bytes (for XBZRLE deltas)
  const images = new Map<string, number | Uint8Array>()

  const ram = (): void => {
    for (;;) {
      const at = p
      const header = be64('RAM record header')
      const flags = Number(header & 0xfffn)
      const addr = header & ~0xfffn
      if (flags & 0x10) {
        if (flags !== 0x10) fail(at, `EOS with other flags 0x${flags.toString(16)}`)
        eos.push(at)
        return
      }
      if (flags & 0x04) {
        memSize = addr
        let total = 0n
        blocks = []
        while (total < memSize) {
          const idstr = shortStr('block idstr')
          const usedLength = be64('block used length')
          blocks.push({ idstr, usedLength })
          total += usedLength
        }
        if (total !== memSize) fail(at, `block lengths add up to ${total}, not ${memSize}`)
        continue
      }
      if (flags === 0x200) continue
      const kind = flags & ~0x20
      if (kind !== 0x02 && kind !== 0x08 && kind !== 0x40)
        fail(at, `unknown RAM flags 0x${flags.toString(16)}`)
      if (!(flags & 0x20)) current = shortStr('block idstr')
      else if (current === undefined) fail(at, 'CONTINUE before any block was named')
      const block = current as string
      const key = `${block}@${addr}`
      if (kind === 0x02) {
        const fill = u8('fill')
        images.set(key, fill)
        records.push({ block, offset: addr, kind: 'zero', at, fill })
      } else if (kind === 0x40) {
        if (u8('XBZRLE encoding flag') !== 0x01) fail(p - 1, 'expected ENCODING_FLAG_XBZRLE (1)')
        const len = be16('XBZRLE length')
        need(len, 'XBZRLE data')
        const before = images.get(key) ?? fail(at, `XBZRLE delta of ${key}, never sent before`)
        const page =
          typeof before === 'number' ? new Uint8Array(PAGE_SIZE).fill(before) : before.slice()
        decodeXbzrle(buf.subarray(p, p + len), page, p)
        p += len
        images.set(key, page)
        records.push({ block, offset: addr, kind: 'xbzrle', at, data: page })
      } else {
        need(PAGE_SIZE, 'page data')
        const data = buf.subarray(p, p + PAGE_SIZE)
        images.set(key, data)
        records.push({ block, offset: addr, kind: 'page', at, data })
        p += PAGE_SIZE
      }
    }
  }
  const footer = (id: number): void => {
    const at = p
    if (u8('section footer') !== 0x7e) fail(at, 'expected a section footer (0x7e)')
    if (be32('footer section id') !== id) fail(at, `footer does not name section ${id}`)
  }

  for (;;) {
    const at = p
    const type = u8('section type')
    if (type === 0x00) break
    if (type === 0x08) {
      const command = be16('command')
      str(be16('command length'), 'command data')
      commands.push({ command, at })
      continue
    }
    if (type === 0x01 || type === 0x04) {
      const id = be32('section id')
      const idstr = shortStr('section idstr')
      const instance = be32('instance id')
      const v = be32('section version')
      const h: SectionHeader = {
        type: type === 1 ? 'start' : 'full',
        id,
        idstr,
        instance,
        version: v,
        at,
      }
      sections.push(h)
      idstrs.set(id, h)
      if (idstr === 'ram') ram()
      else if (type === 0x04) {
        const i = devices.findIndex((d) => d.name === idstr && d.instance_id === instance)
        if (i < 0) fail(at, `section ${idstr} ${instance} is not in the vmdesc`)
        p += entryBytes(devices.splice(i, 1)[0] as VmdescEntry)
      } else fail(at, `unknown iterative section ${idstr}`)
      footer(id)
      continue
    }
    if (type === 0x02 || type === 0x03) {
      const id = be32('section id')
      const start = idstrs.get(id) ?? fail(at, `section ${id} was never started`)
      sections.push({ ...start, type: type === 2 ? 'part' : 'end', at })
      if (start.idstr !== 'ram') fail(at, `unknown iterative section ${start.idstr}`)
      ram()
      footer(id)
      continue
    }
    fail(at, `unknown section type 0x${type.toString(16)}`)
  }
  if (vmdesc && p !== vmdesc.at) fail(p, `EOF is not followed by the vmdesc (at ${vmdesc.at})`)
  return {
    version,
    machine,
    memSize,
    blocks,
    records,
    sections,
    commands,
    eos,
    vmdesc: vmdesc?.json,
  }
}

/**
 * Passes inferred from the walk: a new pass starts where the walk goes back in the
 * stream's block order, or to an earlier (or the same) offset of the same block. (The
 * stream does not mark bitmap syncs; two passes whose pages ascend read as one.)
 */
export const inferPasses = (s: StreamContents): ReadonlyArray<ReadonlyArray<PageRecord>> => {
  const rank = new Map(s.blocks.map((b, i) => [b.idstr, i]))
  const passes: PageRecord[][] = []
  let prev: { rank: number; offset: bigint } | undefined
  for (const r of s.records) {
    const k = rank.get(r.block)
    if (k === undefined) fail(r.at, `record of ${r.block}, which is not in the block list`)
    const kk = k as number
    if (prev === undefined || kk < prev.rank || (kk === prev.rank && r.offset <= prev.offset))
      passes.push([])
    passes[passes.length - 1]?.push(r)
    prev = { rank: kk, offset: r.offset }
  }
  return passes
}

const hex = (v: bigint): string => `0x${v.toString(16)}`

/**
 * The stream in the shape of issue 15's `migstream --json --pages`, for cross-checking:
 * blocks (used lengths as 0x strings), sections (each START/FULL header once), page and
 * zero-page counts, passes inferred from the walk with per-block counts, and the records
 * in stream order (`at`: the offset of the record's 8-byte header).
 */
export const summary = (s: StreamContents) => {
  const count = (rs: ReadonlyArray<PageRecord>) => ({
    pages: rs.length,
    zeroPages: rs.filter((r) => r.kind === 'zero').length,
  })
  return {
    blocks: s.blocks.map((b) => ({ idstr: b.idstr, usedLength: hex(b.usedLength) })),
    sections: s.sections
      .filter((x) => x.type === 'start' || x.type === 'full')
      .map((x) => ({ idstr: x.idstr, instance: x.instance, version: x.version })),
    ...count(s.records),
    passes: inferPasses(s).map((rs) => {
      const byBlock: Record<string, { pages: number; zeroPages: number }> = {}
      for (const b of new Set(rs.map((r) => r.block)))
        byBlock[b] = count(rs.filter((r) => r.block === b))
      return { ...count(rs), byBlock }
    }),
    records: s.records.map((r) => ({
      block: r.block,
      offset: hex(r.offset),
      kind: r.kind,
      at: r.at,
    })),
  }
}
