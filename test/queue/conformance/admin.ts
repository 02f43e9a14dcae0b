import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/queue/driver.ts'
import { ISO_RE, isTasks, type Harness } from './harness.ts'

/** Drones, settings, signals, clock and connection (maintenance: maintenance.ts). */
export function adminCases(h: Harness): void {
  describe('drones', () => {
    it('upserts (heartbeat), lists and removes drones', async () => {
      await h.d.droneUpsert({ drone: { id: 'd1', name: 'alpha', host: 'box', pid: 11, info: { capacity: 4 } } })
      const [first] = await h.d.droneList()
      expect(first).toEqual({ id: 'd1', name: 'alpha', host: 'box', pid: 11, startedAt: expect.stringMatching(ISO_RE), lastSeen: expect.stringMatching(ISO_RE), info: { capacity: 4 } })
      await h.clockPast(Date.parse(first!.lastSeen), 5)
      await h.d.droneUpsert({ drone: { id: 'd1', name: 'alpha', host: 'box', pid: 12, info: { capacity: 8 } } })
      const [again] = await h.d.droneList()
      expect(again).toMatchObject({ startedAt: first!.startedAt, pid: 12, info: { capacity: 8 } })
      expect(Date.parse(again!.lastSeen)).toBeGreaterThan(Date.parse(first!.lastSeen))
      await h.d.droneUpsert({ drone: { id: 'd2', name: 'beta', host: 'box', pid: 13 } })
      expect((await h.d.droneList()).map((d) => d.id).sort()).toEqual(['d1', 'd2'])
      expect((await h.d.droneList()).find((d) => d.id === 'd2')!.info).toEqual({})
      await h.d.droneRemove({ id: 'd1' })
      await h.d.droneRemove({ id: 'nobody' })
      expect((await h.d.droneList()).map((d) => d.id)).toEqual(['d2'])
    })

    it('lists only drones seen within a window', async () => {
      await h.d.droneUpsert({ drone: { id: 'old', name: 'old', host: 'h', pid: 1 } })
      const seen = Date.parse((await h.d.droneList())[0]!.lastSeen)
      await h.clockPast(seen, 600)
      await h.d.droneUpsert({ drone: { id: 'new', name: 'new', host: 'h', pid: 2 } })
      expect((await h.d.droneList({ seenWithinMs: 500 })).map((d) => d.id)).toEqual(['new'])
      expect((await h.d.droneList({ seenWithinMs: 3_600_000 })).map((d) => d.id).sort()).toEqual(['new', 'old'])
    })
  })

  describe('settings', () => {
    it('defaults, persists and shares the retention', async () => {
      expect(await h.d.settingsGet()).toEqual(DEFAULT_SETTINGS)
      expect(await h.d.settingsSet({ retentionMs: 3_600_000 })).toEqual({ retentionMs: 3_600_000 })
      expect(await h.d.settingsSet({})).toEqual({ retentionMs: 3_600_000 })
      const peer = await h.peer()
      expect(await peer.settingsGet()).toEqual({ retentionMs: 3_600_000 })
    })
  })

  describe('signals', () => {
    it('wakes a subscriber when another driver instance inserts (measured; pushed within 50 ms)', async () => {
      const rec = await h.record()
      if (h.d.capabilities.pushSignals) expect(rec.subscription!.mode()).toBe('push')
      const peer = await h.peer()
      // Warm-up, not measured: a loaded CI machine (browser tests beside us) may take seconds for the
      // first round trip of a new peer; the measured samples below keep the strict bound. The wait is
      // registered before the insert: the signal may arrive before the insert's own reply is handled.
      const warm = rec.next(isTasks, 10_000)
      await h.insert('warm', {}, {}, peer)
      await warm
      const samples: number[] = []
      for (let i = 0; i < 5; i++) {
        const got = rec.next(isTasks)
        const t0 = performance.now()
        await h.insert('wake', { i }, {}, peer)
        const signal = await got
        samples.push(performance.now() - t0)
        expect(signal.kind).toBe('tasks')
        if (signal.kind === 'tasks' && signal.types) expect(signal.types).toContain('wake')
      }
      const worst = Math.max(...samples)
      console.log(`[${h.d.kind}] insert by a peer → signal: ${samples.map((s) => s.toFixed(1)).join(', ')} ms (worst ${worst.toFixed(1)})`)
      expect(worst).toBeLessThan(200)
    })

    it('wakes subscribers of its own writes, and for hand-backs, retries and manual retries from a peer', async () => {
      const rec = await h.record()
      const own = rec.next(isTasks)
      await h.insert('self')
      await expect(own).resolves.toMatchObject({ kind: 'tasks' })
      const peer = await h.peer()
      // Inserted by the peer, and its own wake-up awaited, so no late signal can answer a later wait.
      const inserted = rec.next(isTasks)
      const [a] = await h.insertMany([{ type: 'wb' }, { type: 'wb' }], peer)
      await inserted
      const cs = await h.claim('wb', 2, { driver: peer })
      const ca = cs.find((c) => c.id === a)!
      const cb = cs.find((c) => c.id !== a)!
      let got = rec.next(isTasks)
      await peer.taskComplete({ droneId: 'p', completions: [{ id: ca.id, leaseSeq: ca.leaseSeq, outcome: { kind: 'handback' } }] })
      await expect(got).resolves.toMatchObject({ kind: 'tasks' })
      got = rec.next(isTasks)
      await peer.taskComplete({ droneId: 'p', completions: [{ id: cb.id, leaseSeq: cb.leaseSeq, outcome: { kind: 'failed', error: { message: 'x' }, retryDelayMs: 0 } }] })
      await expect(got).resolves.toMatchObject({ kind: 'tasks' })
      await peer.taskCancel({ id: cb.id })
      got = rec.next(isTasks)
      await peer.taskRetry({ id: cb.id })
      await expect(got).resolves.toMatchObject({ kind: 'tasks' })
    })

    it('stops delivering to a closed subscription', async () => {
      const open = await h.record()
      const closed = await h.record()
      await closed.subscription!.close()
      await closed.subscription!.close()
      const peer = await h.peer()
      const got = open.next(isTasks)
      await h.insert('after-close', {}, {}, peer)
      await got
      const own = open.next(isTasks)
      await h.insert('after-close-own')
      await own
      expect(closed.signals).toEqual([])
    })
  })

  describe('clock and connection', () => {
    it('reports the database clock, a ping, and closes idempotently', async () => {
      const now = await h.d.now()
      expect(now).toBeInstanceOf(Date)
      expect(Math.abs(now.getTime() - Date.now())).toBeLessThan(5000)
      const ping = await h.d.ping()
      expect(ping.version).toMatch(/\d+\.\d+/)
      expect(ping.roundTripMs).toBeGreaterThanOrEqual(0)
      const peer = await h.peer()
      expect((await peer.ping()).version).toBe(ping.version)
      await peer.close()
      await peer.close()
    })
  })
}
