// The allocator's ordered set (a treap) against a sorted array: after any sequence of
// inserts and deletes it holds the same elements, and its searches give the same answers.
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { OrderedSet } from '../../src/ramblock/ordered-set.js'

/** One step: insert or delete a value, then probe the searches at another. */
const step = fc.record({
  insert: fc.boolean(),
  value: fc.integer({ min: 0, max: 100 }),
  probe: fc.integer({ min: -1, max: 101 }),
  upTo: fc.integer({ min: 0, max: 40 }),
})

const less = (x: number, k: number): boolean => x < k
const atMost = (x: number, k: number): boolean => x <= k

describe('OrderedSet against a sorted array', () => {
  test.prop([fc.array(step, { minLength: 50, maxLength: 400 })], { numRuns: 200 })(
    'same elements and the same searches after every step',
    (steps) => {
      const set = new OrderedSet<number>(less)
      let model: number[] = []
      for (const { insert, value, probe, upTo } of steps) {
        if (insert) {
          if (!model.includes(value)) {
            set.insert(value)
            model = [...model, value].sort((a, b) => a - b)
          }
        } else {
          expect(set.delete(value)).toBe(model.includes(value))
          model = model.filter((x) => x !== value)
        }
        expect(set.size).toBe(model.length)
        expect(set.firstNot(less, probe)).toBe(model.find((x) => x >= probe))
        expect(set.lastWhere(less, probe)).toBe(model.filter((x) => x < probe).at(-1))
        const run: number[] = []
        set.run(atMost, probe - 1, probe + upTo, run)
        expect(run).toEqual(model.filter((x) => x >= probe && x <= probe + upTo))
      }
      const all: number[] = []
      set.run(atMost, -Infinity, Infinity, all)
      expect(all).toEqual(model)
    },
  )
})
