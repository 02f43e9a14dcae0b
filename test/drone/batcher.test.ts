import { describe, expect, it } from 'vitest'
import { Batcher } from '../../src/drone/batcher.ts'

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((r) => (open = r))
  return { promise, open }
}

describe('Batcher.flushed', () => {
  it('sends at once and resolves when what was added before the call is sent, not what came after', async () => {
    const sent: number[][] = []
    let hold = gate()
    const b = new Batcher<number>({
      name: 't', maxBatch: 2, delayMs: 60_000, onError: () => undefined,
      send: async (batch) => {
        sent.push(batch)
        await hold.promise
      },
    })
    b.add([1, 2, 3])
    const first = b.flushed()
    let firstDone = false
    void first.then(() => (firstDone = true))
    b.add([4, 5])
    // The long delay is skipped: batch [1, 2] is on its way; the call waits for 3 as well.
    expect(sent).toEqual([[1, 2]])
    hold.open()
    await first
    expect(firstDone).toBe(true)
    expect(sent.slice(0, 2)).toEqual([[1, 2], [3, 4]])
    hold = gate()
    hold.open()
    await b.flushed()
    expect(sent.flat()).toEqual([1, 2, 3, 4, 5])
    expect(b.unsent).toBe(0)
  })

  it('waits through failures, and resolves when a batch is dropped after its retries', async () => {
    let calls = 0
    const dropped: number[][] = []
    const b = new Batcher<number>({
      name: 't', maxBatch: 10, delayMs: 60_000, maxRetries: 1, onError: () => undefined,
      onDrop: (batch) => dropped.push(batch),
      send: async () => {
        calls++
        throw new Error('refused')
      },
    })
    b.add([1])
    await b.flushed()
    expect(calls).toBe(2) // the first try and one retry (after 100 ms)
    expect(dropped).toEqual([[1]])
    expect(b.unsent).toBe(0)
  })
})
