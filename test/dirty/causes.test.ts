// Errors keep their cause on the way up: a layer that wraps a lower layer's error holds it
// as `cause`, and errors.showError prints the chain as one line.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { RamAddr, Size } from '../../src/addresses/kinds.js'
import { showError } from '../../src/addresses/show-error.js'
import * as memory from '../../src/dirty/dirty-memory.js'

describe('errors keep their cause', () => {
  it('dirty memory: a bad page count is a DirtyError caused by the bitmap error', () => {
    const r = memory.init(-1)
    expect(E.isLeft(r)).toBe(true)
    if (E.isRight(r)) return
    expect(r.left._tag).toBe('DirtyError')
    expect(r.left.cause?._tag).toBe('InvalidPageCount')
    expect(r.left.message).toBe(r.left.cause?.message)
    expect(showError(r.left)).toBe(r.left.message)
  })
  it('dirty memory: a range past the bitmaps is a DirtyError caused by the bitmap error', () => {
    const r = pipe(
      memory.init(16),
      E.chain(memory.setDirtyRange(RamAddr.unsafe(0x20000n), Size.unsafe(0x1000n), 0b100)),
    )
    expect(E.isLeft(r) && r.left.cause?._tag).toMatch(/OutOfRange|OutOfBounds/)
  })
})
