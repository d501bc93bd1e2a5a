/**
 * An ordered set with O(log n) insert, delete and bisection (expected): a treap (a binary
 * search tree kept balanced by random heap priorities), the working storage of the
 * `ram_addr_t` allocator, where sorted arrays shifted on every add made adding
 * n blocks quadratic. The priorities come from a fixed xorshift sequence, so every run
 * builds the same tree. Walks are iterative. Mutable and local to one allocator: it never
 * escapes.
 *
 * @module
 */

interface Node<T> {
  readonly value: T
  readonly priority: number
  left: Node<T> | undefined
  right: Node<T> | undefined
}

/** A set of `T` ordered by `before` (a strict total order: distinct elements never tie). */
export class OrderedSet<T> {
  private root: Node<T> | undefined = undefined
  private count = 0
  private seed = 0x2545f491
  /** The walk's stack in {@link run}, kept between walks. */
  private readonly stack: Array<Node<T>> = []

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  /** Number of elements. */
  get size(): number {
    return this.count
  }

  /** The next heap priority (xorshift32, its top 30 bits: a small integer, never boxed). */
  private priority(): number {
    let x = this.seed
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.seed = x >>> 0
    return this.seed >>> 2
  }

  /** Adds `x` (which must not be in the set). */
  insert(x: T): void {
    const node: Node<T> = { value: x, priority: this.priority(), left: undefined, right: undefined }
    // descend to where the new node's priority puts it, then split that subtree around x
    let parent: Node<T> | undefined
    let goLeft = false
    let n = this.root
    while (n !== undefined && n.priority >= node.priority) {
      parent = n
      goLeft = this.before(x, n.value)
      n = goLeft ? n.left : n.right
    }
    let lTail: Node<T> | undefined
    let rTail: Node<T> | undefined
    while (n !== undefined) {
      if (this.before(n.value, x)) {
        if (lTail === undefined) node.left = n
        else lTail.right = n
        lTail = n
        n = n.right
      } else {
        if (rTail === undefined) node.right = n
        else rTail.left = n
        rTail = n
        n = n.left
      }
    }
    if (lTail !== undefined) lTail.right = undefined
    if (rTail !== undefined) rTail.left = undefined
    if (parent === undefined) this.root = node
    else if (goLeft) parent.left = node
    else parent.right = node
    this.count++
  }

  /** Removes the element equal to `x` in the set's order; whether there was one. */
  delete(x: T): boolean {
    let parent: Node<T> | undefined
    let n = this.root
    while (n !== undefined) {
      if (this.before(x, n.value)) {
        parent = n
        n = n.left
      } else if (this.before(n.value, x)) {
        parent = n
        n = n.right
      } else break
    }
    if (n === undefined) return false
    const merged = merge(n.left, n.right)
    if (parent === undefined) this.root = merged
    else if (parent.left === n) parent.left = merged
    else parent.right = merged
    this.count--
    return true
  }

  /**
   * The first element `x` for which `below(x, key)` is false, where it holds for a prefix
   * of the order (as `lowerBound` on an array); undefined when it holds for all. (A key
   * and a fixed predicate rather than a closure per search: no allocation, and optimised
   * code that does not depend on short-lived closures.)
   */
  firstNot<K>(below: (x: T, key: K) => boolean, key: K): T | undefined {
    let best: Node<T> | undefined
    let n = this.root
    while (n !== undefined)
      if (below(n.value, key)) n = n.right
      else {
        best = n
        n = n.left
      }
    return best?.value
  }

  /** The last element `x` for which `below(x, key)` (holding for a prefix) is true; undefined when none. */
  lastWhere<K>(below: (x: T, key: K) => boolean, key: K): T | undefined {
    let best: Node<T> | undefined
    let n = this.root
    while (n !== undefined)
      if (below(n.value, key)) {
        best = n
        n = n.right
      } else n = n.left
    return best?.value
  }

  /**
   * Appends to `out`, in order, the elements from the first `x` for which `below(x, from)`
   * (holding for a prefix) is false, for as long as `below(x, upTo)` holds.
   */
  run<K>(below: (x: T, key: K) => boolean, from: K, upTo: K, out: T[]): void {
    // the ancestors still to visit in order: the nodes whose left subtree the walk entered
    const stack = this.stack
    stack.length = 0
    let n = this.root
    while (n !== undefined)
      if (below(n.value, from)) n = n.right
      else {
        stack.push(n)
        n = n.left
      }
    for (let m = stack.pop(); m !== undefined && below(m.value, upTo); m = stack.pop()) {
      out.push(m.value)
      for (let c = m.right; c !== undefined; c = c.left) stack.push(c)
    }
    stack.length = 0
  }
}

/** Joins two treaps, every element of `a` before every element of `b`. */
const merge = <T>(a: Node<T> | undefined, b: Node<T> | undefined): Node<T> | undefined => {
  if (a === undefined) return b
  if (b === undefined) return a
  // the higher-priority root on top; then down the right spine of `a` and the left spine
  // of `b`, hanging the next higher-priority node under `parent` on the side that is open
  const root = a.priority > b.priority ? a : b
  let parent = root
  let onRight = root === a
  if (onRight) a = a.right
  else b = b.left
  while (a !== undefined && b !== undefined) {
    const next = a.priority > b.priority ? a : b
    if (onRight) parent.right = next
    else parent.left = next
    parent = next
    onRight = next === a
    if (onRight) a = a.right
    else b = b.left
  }
  const rest = a ?? b
  if (onRight) parent.right = rest
  else parent.left = rest
  return root
}
