// An independent reading of a whole migration stream, written for the tests from QEMU's
// scripts/analyze-migration.py (7.2 and 10.0): sequential over one buffer, the vmdesc
// JSON found first by its position at the end, and every device section read field by
// field from the vmdesc (sizes, array_len, nested structs, subsections marked 0x05),
// never by a footer search. It shares no code with src/migration/stream.
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'

export interface IndependentRecord {
  readonly block: string
  readonly offset: bigint
  readonly kind: 'zero' | 'page' | 'xbzrle'
  readonly at: number
}

export interface IndependentReading {
  readonly version: number
  readonly blocks: ReadonlyArray<{ idstr: string; usedLength: bigint }>
  readonly sections: ReadonlyArray<{
    idstr: string
    sectionId: number
    instance: number
    version: number
  }>
  readonly records: ReadonlyArray<IndependentRecord>
}

interface VmsdField {
  readonly name: string
  readonly type: string
  readonly size: number
  readonly array_len?: number
  readonly struct?: VmsdStruct
}
interface VmsdStruct {
  readonly fields?: ReadonlyArray<VmsdField>
  readonly subsections?: ReadonlyArray<VmsdStruct & { vmsd_name: string }>
}
interface Vmdesc {
  readonly page_size: number
  readonly configuration?: VmsdStruct
  readonly devices: ReadonlyArray<VmsdStruct & { name: string; instance_id: number }>
}

export const readFixture = (path: string): Uint8Array => {
  const raw = readFileSync(path)
  return new Uint8Array(path.endsWith('.gz') ? gunzipSync(raw) : raw)
}

export const readIndependently = (buf: Uint8Array): IndependentReading => {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  let pos = 0
  const r8 = (): number => view.getUint8(pos++)
  const r16 = (): number => {
    const v = view.getUint16(pos)
    pos += 2
    return v
  }
  const r32 = (): number => {
    const v = view.getUint32(pos)
    pos += 4
    return v
  }
  const r64 = (): bigint => {
    const v = view.getBigUint64(pos)
    pos += 8
    return v
  }
  const str = (n: number): string => {
    const s = Buffer.from(buf.subarray(pos, pos + n)).toString('latin1')
    if (pos + n > buf.length) throw new Error(`unexpected end at ${pos}`)
    pos += n
    return s
  }

  // the vmdesc: the last NUL, then the first brace after it (read_migration_debug_json)
  const nul = buf.lastIndexOf(0)
  const brace = buf.indexOf(0x7b, nul)
  if (buf[brace - 5] !== 0x06) throw new Error('no vmdesc')
  const jsonLen = view.getUint32(brace - 4)
  const desc = JSON.parse(
    Buffer.from(buf.subarray(brace, brace + jsonLen)).toString('utf8'),
  ) as Vmdesc
  const pageSize = desc.page_size

  const readStruct = (s: VmsdStruct): void => {
    for (const f of s.fields ?? []) {
      const n = f.array_len ?? 1
      for (let i = 0; i < n; i++) {
        if (f.type === 'struct' && f.struct !== undefined) readStruct(f.struct)
        else pos += f.size
      }
    }
    for (const sub of s.subsections ?? []) {
      if (r8() !== 0x05) throw new Error(`subsection ${sub.vmsd_name} not found at ${pos - 1}`)
      str(r8())
      r32()
      readStruct(sub)
    }
  }

  if (r32() !== 0x5145564d) throw new Error('magic')
  const version = r32()
  const devices = new Map(desc.devices.map((d) => [`${d.name}\u0000${d.instance_id}`, d]))
  const sectionById = new Map<number, string>()
  const sections: Array<{ idstr: string; sectionId: number; instance: number; version: number }> =
    []
  const records: IndependentRecord[] = []
  let blocks: Array<{ idstr: string; usedLength: bigint }> = []
  let name = ''

  const readRam = (): void => {
    for (;;) {
      const at = pos
      const header = r64()
      let flags = Number(header & BigInt(pageSize - 1))
      const addr = header & ~BigInt(pageSize - 1)
      if (flags & 0x04) {
        // MEM_SIZE: blocks until their lengths add up to the total
        let left = addr
        blocks = []
        while (left > 0n) {
          const id = str(r8())
          const len = r64()
          blocks.push({ idstr: id, usedLength: len })
          left -= len
        }
        flags &= ~0x04
      }
      if (flags & 0x02) {
        if (flags & 0x20) flags &= ~0x20
        else name = str(r8())
        r8()
        records.push({ block: name, offset: addr, kind: 'zero', at })
        flags &= ~0x02
      } else if (flags & 0x08) {
        if (flags & 0x20) flags &= ~0x20
        else name = str(r8())
        pos += pageSize
        records.push({ block: name, offset: addr, kind: 'page', at })
        flags &= ~0x08
      } else if (flags & 0x40) {
        if (flags & 0x20) flags &= ~0x20
        else name = str(r8())
        if (r8() !== 1) throw new Error(`xbzrle encoding at ${pos - 1}`)
        const len = r16()
        pos += len
        records.push({ block: name, offset: addr, kind: 'xbzrle', at })
        flags &= ~0x40
      }
      if (flags & 0x200) flags &= ~0x200 // MULTIFD_FLUSH
      if (flags & 0x10) return
      if (flags !== 0) throw new Error(`unknown RAM flags ${flags} at ${at}`)
    }
  }

  for (;;) {
    const type = r8()
    if (type === 0x00) break
    if (type === 0x07) {
      if (desc.configuration !== undefined) readStruct(desc.configuration)
      else str(r32())
    } else if (type === 0x01 || type === 0x04) {
      const id = r32()
      const idstr = str(r8())
      const instance = r32()
      const v = r32()
      sections.push({ idstr, sectionId: id, instance, version: v })
      sectionById.set(id, idstr)
      if (idstr === 'ram') readRam()
      else {
        const d = devices.get(`${idstr}\u0000${instance}`)
        if (d === undefined) throw new Error(`no vmdesc for ${idstr} ${instance}`)
        readStruct(d)
      }
    } else if (type === 0x02 || type === 0x03) {
      const id = r32()
      if (sectionById.get(id) !== 'ram') throw new Error(`part of non-RAM section ${id}`)
      readRam()
    } else if (type === 0x7e) {
      r32()
    } else if (type === 0x08) {
      r16()
      const len = r16()
      pos += len
    } else throw new Error(`unknown section type ${type} at ${pos - 1}`)
  }
  return { version, blocks, sections, records }
}
