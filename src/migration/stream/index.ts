/**
 * Real QEMU migration streams (7.2 and 10.0), read by `ram_addr_t`: a chunked decoder
 * ({@link decoder}, {@link decode}), XBZRLE, and a fold into passes per RAMBlock
 * ({@link summarizer}) with pages by `ram_addr_t` ({@link ramAddrOf}) and GPA
 * ({@link gpasOf}).
 *
 * @module
 */
export type {
  PageKind,
  PageRecord,
  SectionType,
  StreamBlock,
  StreamError,
  StreamEvent,
} from './events.js'
export { streamError } from './events.js'
export { decoder, decode, type Decoder, type DecoderOptions } from './decoder.js'
export { xbzrleDecode } from './xbzrle.js'
export {
  summarizer,
  startsPass,
  ramAddrOf,
  gpasOf,
  type PageCounts,
  type PassSummary,
  type SectionName,
  type StreamSummary,
  type Summarizer,
} from './summary.js'
