/**
 * What the migration-stream decoder reports: the events of a QEMU migration stream, in
 * stream order, each with the byte offset (`at`) where its record starts.
 *
 * The layout is QEMU's (7.2 and 10.0): migration/savevm.c writes the file header, the
 * configuration and the section records (`qemu_savevm_state_header`,
 * `save_section_header`, `save_section_footer`, `qemu_savevm_command_send`,
 * `qemu_savevm_state_complete_precopy_non_iterable`), migration/ram.c the RAM section's
 * records (`ram_save_setup`, `save_page_header`, `save_zero_page`, `save_normal_page`,
 * `save_xbzrle_page`).
 *
 * @module
 */

/** How a page went: a zero page (`RAM_SAVE_FLAG_ZERO`), whole (`PAGE`), or as an XBZRLE delta. */
export type PageKind = 'zero' | 'page' | 'xbzrle'

/** A RAMBlock as the RAM section's block list (`RAM_SAVE_FLAG_MEM_SIZE`) names it. */
export interface StreamBlock {
  /** The block's idstr. */
  readonly idstr: string
  /** Its `used_length` in bytes when the migration started. */
  readonly usedLength: bigint
}

/** The four section record types of savevm.c (`QEMU_VM_SECTION_START` … `_FULL`). */
export type SectionType = 'start' | 'part' | 'end' | 'full'

/**
 * A page record of the RAM section (ram.c `save_page_header` and the page's payload).
 *
 * `data` and `encoded` may be views into the decoder's buffers: they are valid during
 * the callback that receives the event; copy them to keep them (the whole-buffer
 * {@link decode} returns views into its input, which stay valid).
 */
export interface PageRecord {
  readonly _tag: 'Page'
  /** Byte offset of the record's 8-byte header. */
  readonly at: number
  readonly kind: PageKind
  /** The block's idstr (from the record, or the previous one's with `RAM_SAVE_FLAG_CONTINUE`). */
  readonly block: string
  /** The block's index in the block list: QEMU's RAM list order, the order its walk takes. */
  readonly blockIndex: number
  /** The page's offset within the block. */
  readonly offset: bigint
  /**
   * The page's 4 KiB after this record: the bytes sent for `page`; for `xbzrle` the
   * decoded page when the decoder still held the page's previous contents (its page
   * cache is bounded), else `undefined`; `undefined` for `zero` (every byte is `fill`).
   */
  readonly data: Uint8Array | undefined
  /** For `xbzrle`, the encoded delta (ram.c `save_xbzrle_page`, util/xbzrle.c). */
  readonly encoded: Uint8Array | undefined
  /** For `zero`, the fill byte (always 0 from QEMU 7.2 and 10.0 senders). */
  readonly fill: number
  /** Bytes of page data the record carries: 4096 for `page`, the delta's for `xbzrle`, 0 for `zero`. */
  readonly dataBytes: number
}

/** An event of the stream, in stream order. */
export type StreamEvent =
  | {
      /** The file header: `QEMU_VM_FILE_MAGIC` and `QEMU_VM_FILE_VERSION`. */
      readonly _tag: 'Header'
      readonly at: number
      readonly version: number
    }
  | {
      /** `QEMU_VM_CONFIGURATION`: the machine type and the subsections sent with it. */
      readonly _tag: 'Configuration'
      readonly at: number
      readonly machine: string
      readonly subsections: ReadonlyArray<string>
    }
  | {
      /** A section record's header; `part` and `end` take idstr, instance, version from their start. */
      readonly _tag: 'Section'
      readonly at: number
      readonly type: SectionType
      readonly sectionId: number
      readonly idstr: string
      readonly instance: number
      readonly version: number
    }
  | {
      /** A device section's body, skipped: `length` bytes from `at`. */
      readonly _tag: 'DeviceState'
      readonly at: number
      readonly sectionId: number
      readonly idstr: string
      readonly length: number
    }
  | {
      /** `QEMU_VM_SECTION_FOOTER`. */
      readonly _tag: 'SectionFooter'
      readonly at: number
      readonly sectionId: number
    }
  | {
      /** `RAM_SAVE_FLAG_MEM_SIZE`: the migratable blocks in QEMU's list order, and their total. */
      readonly _tag: 'RamBlocks'
      readonly at: number
      readonly total: bigint
      readonly blocks: ReadonlyArray<StreamBlock>
    }
  | PageRecord
  | {
      /** `RAM_SAVE_FLAG_EOS`: the end of one chunk of the RAM section (not a bitmap sync). */
      readonly _tag: 'RamEos'
      readonly at: number
    }
  | {
      /** `RAM_SAVE_FLAG_MULTIFD_FLUSH` (QEMU 8.0 on): the multifd channels sync here. */
      readonly _tag: 'MultifdFlush'
      readonly at: number
    }
  | {
      /** `QEMU_VM_COMMAND`: a `MIG_CMD_*` with its payload's length. */
      readonly _tag: 'Command'
      readonly at: number
      readonly command: number
      readonly length: number
    }
  | {
      /** `QEMU_VM_EOF`. */
      readonly _tag: 'Eof'
      readonly at: number
    }
  | {
      /** `QEMU_VM_VMDESCRIPTION`: the JSON description of the device state sent. */
      readonly _tag: 'VmDescription'
      readonly at: number
      readonly json: string
    }
  | {
      /** The end of the input, after a complete stream. */
      readonly _tag: 'End'
      readonly at: number
    }

/** A malformed, truncated or unsupported stream: where, what was expected, what was found. */
export interface StreamError {
  readonly _tag: 'StreamError'
  /** Byte offset of the offending record or field. */
  readonly at: number
  readonly expected: string
  readonly found: string
  /** `at 0x…: expected …, found …`. */
  readonly message: string
}

/** A {@link StreamError}. */
export const streamError = (at: number, expected: string, found: string): StreamError => {
  const e = printable(expected)
  const f = printable(found)
  return {
    _tag: 'StreamError',
    at,
    expected: e,
    found: f,
    message: `at byte ${at} (0x${at.toString(16)}): expected ${e}, found ${f}`,
  }
}

/**
 * Text from the stream (an idstr, a machine name) made fit for a one-line message: control
 * characters (C0, DEL, C1) become `\xNN`, so a damaged or hostile name cannot break the line.
 */
const printable = (text: string): string =>
  text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
