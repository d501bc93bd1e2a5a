/**
 * Xen's migration stream ("v2" format, libxc-migration-stream.pandoc revision 3) as values:
 * the image header, the domain header, and the records this model needs.
 *
 * What follows Xen (docs/specs/libxc-migration-stream.pandoc, tools/libs/guest/xg_sr_*.c):
 * the image header (big-endian: marker `0xffffffffffffffff`, id `0x58454e46` "XENF",
 * version 3, options bit 0 = endianness), the domain header (type 1 x86 PV / 2 x86 HVM,
 * page_shift, Xen major and minor), the record framing (32-bit type, 32-bit body length,
 * body zero-padded to a multiple of 8 bytes, fields in the stream's endianness: little on
 * x86), the record numbers (END 0, PAGE_DATA 1, STATIC_DATA_END 0x10, …, bit 31 marking an
 * optional record) and the PAGE_DATA body (count, reserved, pfns with the PFINFO type in
 * bits 63–60, then one page of data for each pfn whose type carries data).
 *
 * What is this project's extension: Xen has no record carrying altp2m state (altp2m is not
 * migrated upstream at all). Two records are defined here:
 * - {@link ALTP2M_VIEW} = `0x7fffff01`, mandatory: one normalised view (normalise.ts). A
 *   receiver that cannot restore views must fail, and the spec says an unknown mandatory
 *   record makes restore fail, so this is a mandatory type.
 * - {@link ALTP2M_DROPPED} = `0xffffff01` (the same number with bit 31 set), optional: the
 *   sender declared views soft state and dropped them; the receiver sets a notice the
 *   guest agent sees. A receiver that ignores it loses nothing but the notice.
 * The spec reserves all of `0x13–0x7fffffff` for future mandatory and `0x80000000–` for
 * future optional records and has no range for private use; upstream allocates numbers
 * sequentially from 0x13, so these sit at the very top of each range, as far from future
 * upstream numbers as possible. An upstream altp2m record would replace them.
 *
 * @module
 */
import type { NormalisedView } from './normalise.js'

/** The image header marker (all ones; legacy images have a zero bit in these 8 bytes). */
export const MARKER = 0xffffffffffffffffn
/** The image header id: "XENF". */
export const IMAGE_ID = 0x58454e46
/** The version of the specification this model writes. */
export const VERSION = 3
/** Image header size in bytes. */
export const IMAGE_HEADER_SIZE = 24
/** Domain header size in bytes. */
export const DOMAIN_HEADER_SIZE = 16

/** Xen's record type numbers (libxc-migration-stream.pandoc, xg_sr_stream_format.h). */
export const REC_TYPE = {
  END: 0x00,
  PAGE_DATA: 0x01,
  X86_PV_INFO: 0x02,
  X86_PV_P2M_FRAMES: 0x03,
  X86_PV_VCPU_BASIC: 0x04,
  X86_PV_VCPU_EXTENDED: 0x05,
  X86_PV_VCPU_XSAVE: 0x06,
  SHARED_INFO: 0x07,
  X86_TSC_INFO: 0x08,
  HVM_CONTEXT: 0x09,
  HVM_PARAMS: 0x0a,
  TOOLSTACK: 0x0b,
  X86_PV_VCPU_MSRS: 0x0c,
  VERIFY: 0x0d,
  CHECKPOINT: 0x0e,
  CHECKPOINT_DIRTY_PFN_LIST: 0x0f,
  STATIC_DATA_END: 0x10,
  X86_CPUID_POLICY: 0x11,
  X86_MSR_POLICY: 0x12,
} as const

/** Bit 31 of a record type: the record is optional and may be ignored on restore. */
export const REC_TYPE_OPTIONAL = 0x80000000

/** This project's mandatory record carrying one normalised altp2m view (not Xen's). */
export const ALTP2M_VIEW = 0x7fffff01
/** This project's optional record declaring the views dropped as soft state (not Xen's). */
export const ALTP2M_DROPPED = 0xffffff01

const NAMES = new Map<number, string>(Object.entries(REC_TYPE).map(([name, n]) => [n, name]))

/** The name of a record type: Xen's, this project's, or `unknown`. */
export const recordTypeName = (type: number): string => {
  const name = NAMES.get(type)
  if (name !== undefined) return name
  if (type === ALTP2M_VIEW) return 'ALTP2M_VIEW (ramaddr extension)'
  if (type === ALTP2M_DROPPED) return 'ALTP2M_DROPPED (ramaddr extension)'
  return (type & REC_TYPE_OPTIONAL) !== 0 ? 'unknown optional' : 'unknown mandatory'
}

/** Domain types of the domain header. */
export const DHDR_TYPE = { X86_PV: 1, X86_HVM: 2 } as const

/** The image header: the version and the byte order of everything after it. */
export interface ImageHeader {
  readonly version: number
  readonly bigEndian: boolean
}

/** The domain header. */
export interface DomainHeader {
  /** 1 x86 PV, 2 x86 HVM. */
  readonly type: number
  /** log2 of the guest page size (12 on x86). */
  readonly pageShift: number
  readonly xenMajor: number
  readonly xenMinor: number
}

/** XEN_DOMCTL_PFINFO_* page types of a PAGE_DATA pfn entry (0x5–0x8 are reserved). */
export const PFINFO = {
  NOTAB: 0x0,
  L1TAB: 0x1,
  L2TAB: 0x2,
  L3TAB: 0x3,
  L4TAB: 0x4,
  L1TAB_PIN: 0x9,
  L2TAB_PIN: 0xa,
  L3TAB_PIN: 0xb,
  L4TAB_PIN: 0xc,
  BROKEN: 0xd,
  XALLOC: 0xe,
  XTAB: 0xf,
} as const

/** Whether a PFINFO type is one the spec defines (restoring others must fail). */
export const isPfinfo = (t: number): boolean =>
  Number.isInteger(t) && t >= 0 && t <= 0xf && (t < 5 || t > 8)

/** Whether pages of a PFINFO type carry data in the record (all but BROKEN, XALLOC, XTAB). */
export const carriesData = (t: number): boolean => t < PFINFO.BROKEN

/** One pfn of a PAGE_DATA record: the frame (bits 51–0) and its PFINFO type (bits 63–60). */
export interface PfnEntry {
  readonly pfn: bigint
  readonly type: number
}

/** A record of the stream. */
export type StreamRecord =
  /** END: the last record. */
  | { readonly _tag: 'End' }
  /** PAGE_DATA: pfns and the data of those whose type carries data, page after page. */
  | { readonly _tag: 'PageData'; readonly pfns: ReadonlyArray<PfnEntry>; readonly data: Uint8Array }
  /** STATIC_DATA_END: required by v3 before any memory. */
  | { readonly _tag: 'StaticDataEnd' }
  /** This project's ALTP2M_VIEW: one normalised view. */
  | { readonly _tag: 'Altp2mView'; readonly view: NormalisedView }
  /** This project's ALTP2M_DROPPED: views declared soft state and dropped. */
  | {
      readonly _tag: 'Altp2mDropped'
      readonly views: ReadonlyArray<number>
      /** Whether the receiver should tell the guest agent (set the notice). */
      readonly notify: boolean
    }
  /** Any other record, kept as its type and raw body. */
  | { readonly _tag: 'Other'; readonly type: number; readonly body: Uint8Array }

/** A whole stream: headers and records, END last. */
export interface Stream {
  readonly image: ImageHeader
  readonly domain: DomainHeader
  readonly records: ReadonlyArray<StreamRecord>
}

/** The record type number of a record. */
export const typeOf = (r: StreamRecord): number => {
  switch (r._tag) {
    case 'End':
      return REC_TYPE.END
    case 'PageData':
      return REC_TYPE.PAGE_DATA
    case 'StaticDataEnd':
      return REC_TYPE.STATIC_DATA_END
    case 'Altp2mView':
      return ALTP2M_VIEW
    case 'Altp2mDropped':
      return ALTP2M_DROPPED
    case 'Other':
      return r.type
  }
}
