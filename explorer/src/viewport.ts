/**
 * Zoom and pan over a `ramaddr/draw` layout, keeping labels readable: the zoom stretches
 * the vertical axis only (addresses run down the page), text is drawn at its own size at
 * every zoom, and a box shows only as many label lines as fit its drawn height. Only the
 * boxes inside the scrolled window are drawn, so a 10,000-range map pans as a small one.
 *
 * Pure: no DOM.
 *
 * @module
 */
import * as draw from '../../src/draw/index.js'

/** Smallest and largest vertical zoom. */
export const MIN_ZOOM = 0.05
export const MAX_ZOOM = 64

/** Where the columns start in layout units (above: the layout's title, drawn by the page). */
export const topOf = (l: draw.Layout): number =>
  Math.min(
    ...l.gpa.map((p) => p.rect.y),
    ...l.blocks.map((p) => p.rect.y),
    Number.POSITIVE_INFINITY,
  )

/** Where the columns end in layout units. */
export const bottomOf = (l: draw.Layout): number =>
  Math.max(
    ...l.gpa.map((p) => p.rect.y + p.rect.height),
    ...l.blocks.map((p) => p.rect.y + p.rect.height),
    0,
  )

/** The vertical mapping from layout units to drawn pixels. */
export interface Frame {
  readonly top: number
  readonly zoom: number
}

/** A layout y drawn at this zoom (pixels from the top of the scrolled content). */
export const yAt =
  (f: Frame) =>
  (y: number): number =>
    (y - f.top) * f.zoom + PAD_TOP

/** Space above the first box, in pixels. */
export const PAD_TOP = 8

/** How many label lines of `n` fit a box drawn `height` pixels tall. */
export const linesThatFit = (height: number, n: number): number =>
  Math.max(0, Math.min(n, Math.floor((height - 2 * draw.PAD + 2) / draw.LINE_HEIGHT)))

/** The zoom clamped to its bounds. */
export const clampZoom = (z: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z))

/**
 * The new scroll offset after a zoom from `f.zoom` to `zoom`, keeping the content under
 * the pixel `anchor` (measured from the top of the window) in place.
 */
export const scrollAfterZoom = (
  f: Frame,
  zoom: number,
  scrollTop: number,
  anchor: number,
): number => {
  const layoutY = (scrollTop + anchor - PAD_TOP) / f.zoom + f.top
  return Math.max(0, (layoutY - f.top) * zoom + PAD_TOP - anchor)
}

/** The zoom at which the whole content fits `height` pixels. */
export const fitZoom = (l: draw.Layout, height: number): number => {
  const span = bottomOf(l) - topOf(l)
  return span <= 0 ? 1 : clampZoom(Math.min(1, (height - 2 * PAD_TOP) / span))
}

/** Indices of the rects (drawn at this frame) that meet the window `[from, to)` pixels. */
export const visible = (
  rects: ReadonlyArray<draw.Rect>,
  f: Frame,
  from: number,
  to: number,
): ReadonlyArray<number> => {
  const at = yAt(f)
  const out: number[] = []
  rects.forEach((r, i) => {
    const y0 = at(r.y)
    const y1 = at(r.y + r.height)
    if (y1 >= from && y0 <= to) out.push(i)
  })
  return out
}

/** The scroll offset that brings a rect into the middle of a window `height` pixels tall. */
export const scrollToShow = (r: draw.Rect, f: Frame, height: number): number => {
  const at = yAt(f)
  const y0 = at(r.y)
  const y1 = at(r.y + r.height)
  return Math.max(0, (y0 + y1) / 2 - height / 2)
}
