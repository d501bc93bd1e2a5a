/**
 * Why a page-bitmap operation could not be done, as values: every bitmap function that
 * takes a page, a range, a size or another bitmap checks it and returns one of these
 * instead of throwing.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { MAX_PAGES } from './layout.js'

/** A page count that is not an integer in `[0, 2^52]`. */
export interface InvalidPageCount {
  readonly _tag: 'InvalidPageCount'
  readonly pages: number
  readonly message: string
}

/** A page index outside `[0, pages)` (or not an integer). */
export interface PageOutOfRange {
  readonly _tag: 'PageOutOfRange'
  readonly page: number
  readonly pages: number
  readonly message: string
}

/** A range `[start, end)` that is not integers with `0 <= start <= end <= pages`. */
export interface PageRangeOutOfBounds {
  readonly _tag: 'PageRangeOutOfBounds'
  readonly start: number
  readonly end: number
  readonly pages: number
  readonly message: string
}

/** Two bitmaps combined page by page that cover different numbers of pages. */
export interface SizeMismatch {
  readonly _tag: 'SizeMismatch'
  readonly pages: number
  readonly otherPages: number
  readonly message: string
}

/** A little-endian word bitmap with fewer bits than the pages it should describe. */
export interface BitmapTooShort {
  readonly _tag: 'BitmapTooShort'
  readonly pages: number
  readonly bits: number
  readonly message: string
}

/** A page-size ratio or granule that is not a positive integer (or is too large). */
export interface InvalidRatio {
  readonly _tag: 'InvalidRatio'
  readonly ratio: number
  readonly message: string
}

/** A bitmap too large to export as one typed array (more than 2^32 bytes). */
export interface ExportTooLarge {
  readonly _tag: 'ExportTooLarge'
  readonly pages: number
  readonly message: string
}

/** Every bitmap error. */
export type BitmapError =
  | InvalidPageCount
  | PageOutOfRange
  | PageRangeOutOfBounds
  | SizeMismatch
  | BitmapTooShort
  | InvalidRatio
  | ExportTooLarge

/** Whether `n` is an integer in `[0, max]`. */
export const isIndex = (n: number, max: number): boolean =>
  Number.isInteger(n) && n >= 0 && n <= max

/** `pages` if it is a valid page count. */
export const checkPages = (pages: number): E.Either<InvalidPageCount, number> =>
  isIndex(pages, MAX_PAGES)
    ? E.right(pages)
    : E.left({
        _tag: 'InvalidPageCount',
        pages,
        message: `page count ${pages} is not an integer in [0, 2^52]`,
      })

/** `page` if it indexes a bitmap of `pages` pages. */
export const checkPage = (page: number, pages: number): E.Either<PageOutOfRange, number> =>
  isIndex(page, pages - 1) ? E.right(page) : E.left(pageOutOfRange(page, pages))

/** The error for a page outside `[0, pages)`. */
export const pageOutOfRange = (page: number, pages: number): PageOutOfRange => ({
  _tag: 'PageOutOfRange',
  page,
  pages,
  message: `page ${page} is not an index into a bitmap of ${pages} pages`,
})

/** The error for a range outside `[0, pages]`. */
export const rangeOutOfBounds = (
  start: number,
  end: number,
  pages: number,
): PageRangeOutOfBounds => ({
  _tag: 'PageRangeOutOfBounds',
  start,
  end,
  pages,
  message: `page range [${start}, ${end}) is not within a bitmap of ${pages} pages`,
})

/** Whether `[start, end)` is a valid range of a bitmap of `pages` pages. */
export const isRange = (start: number, end: number, pages: number): boolean =>
  isIndex(start, pages) && isIndex(end, pages) && start <= end

/** The error for two bitmaps of different sizes. */
export const sizeMismatch = (pages: number, otherPages: number): SizeMismatch => ({
  _tag: 'SizeMismatch',
  pages,
  otherPages,
  message: `bitmaps of ${pages} and ${otherPages} pages cannot be combined page by page`,
})

/** The error for a bad ratio or granule. */
export const invalidRatio = (ratio: number, what: string): InvalidRatio => ({
  _tag: 'InvalidRatio',
  ratio,
  message: `${what} ${ratio} is not a positive integer keeping the bitmap within 2^52 pages`,
})

/** The error for `what` of a bitmap of `pages` pages that does not fit in one array. */
export const exportTooLarge = (pages: number, what: string, why: string): ExportTooLarge => ({
  _tag: 'ExportTooLarge',
  pages,
  message: `${what} of a bitmap of ${pages} pages cannot be exported as one array: ${why}`,
})

/** `make(n)`, or the error for `what` when the array cannot be allocated. */
export const allocExport = <A>(
  pages: number,
  what: string,
  n: number,
  make: (n: number) => A,
): E.Either<ExportTooLarge, A> => {
  try {
    return E.right(make(n))
  } catch (e) {
    return E.left(exportTooLarge(pages, what, e instanceof Error ? e.message : String(e)))
  }
}
