/**
 * Binary search over a sorted array, as the allocator and the RAM list need it.
 *
 * @module
 */

/**
 * The first index of `xs` whose element is not `before` the sought place (`xs` sorted so that
 * `before` holds for a prefix): `xs.length` when it holds for all.
 */
export const lowerBound = <T>(xs: ReadonlyArray<T>, before: (x: T) => boolean): number => {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (before(xs[mid] as T)) lo = mid + 1
    else hi = mid
  }
  return lo
}
