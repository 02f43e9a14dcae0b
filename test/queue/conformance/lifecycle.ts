import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/core/errors.ts'
import { TASK_STATES, type TaskState } from '../../../src/core/task.ts'
import { actionAllowed, actionRefused } from '../../../src/queue/rules.ts'
import { until } from '../../helpers.ts'
import { ISO_RE, TASK_KEYS, type Harness } from './harness.ts'

/** Schema, insert/get, claim order and limits, and every outcome of a claimed task. */
export function lifecycleCases(h: Harness): void {
  describe('schema', () => {
    it('migrates idempotently and then passes the check', async () => {
      expect(await h.d.schemaMigrate()).toEqual({ applied: [] })
      await expect(h.d.schemaCheck()).resolves.toBeUndefined()
      expect(typeof h.d.kind).toBe('string')
      expect(typeof h.d.capabilities.pushSignals).toBe('boolean')
      expect(typeof h.d.capabilities.shared).toBe('boolean')
    })
  })

  describe('insert and get', () => {
    it('round-trips a task with every field as CONTRACT.md shows it', async () => {
      const before = await h.dbNow()
      const id = await h.insert('resize', { url: 'https://x/y.png', n: [1, 2, { deep: 'é✓' }] })
      const after = await h.dbNow()
      const task = await h.d.taskGet({ id })
      expect(task).not.toBeNull()
      expect(Object.keys(task!).sort()).toEqual(TASK_KEYS)
      expect(task).toEqual({
        id,
        type: 'resize',
        payload: { url: 'https://x/y.png', n: [1, 2, { deep: 'é✓' }] },
        state: 'queued',
        priority: 0,
        runAt: expect.stringMatching(ISO_RE),
        attempts: 0,
        maxAttempts: 5,
        key: null,
        parentId: null,
        group: null,
        result: null,
        error: null,
        drone: null,
        createdAt: expect.stringMatching(ISO_RE),
        startedAt: null,
        finishedAt: null,
      })
      const created = Date.parse(task!.createdAt)
      expect(created).toBeGreaterThanOrEqual(before)
      expect(created).toBeLessThanOrEqual(after)
      expect(Math.abs(Date.parse(task!.runAt) - created)).toBeLessThan(1000)
    })

    it('stores options: priority, runAt, delay, maxAttempts, key, parentId', async () => {
      const runAt = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678))
      const parent = await h.insert('p')
      const id = await h.insert('t', 'text', { priority: -7, runAt, maxAttempts: 9, key: 'k-1', parentId: parent })
      expect(await h.d.taskGet({ id })).toMatchObject({
        payload: 'text', priority: -7, runAt: '2030-01-02T03:04:05.678Z', maxAttempts: 9, key: 'k-1', parentId: parent,
      })
      const now = await h.dbNow()
      const delayed = await h.insert('t', null, { delayMs: 60_000 })
      const runAtMs = Date.parse((await h.d.taskGet({ id: delayed }))!.runAt)
      expect(runAtMs).toBeGreaterThanOrEqual(now + 60_000 - 5)
      expect(runAtMs).toBeLessThan(now + 62_000)
    })

    it('round-trips JSON payloads of every kind; a missing id is null', async () => {
      const payloads: unknown[] = [null, 0, -1.5, 'str "quoted" \\ back', true, [], [1, 'a', null], { a: { b: { c: [{}] } } }, { emoji: '😀', nul: 'x\ty' }]
      const ids = await h.insertMany(payloads.map((payload) => ({ type: 'json', payload })))
      expect(ids).toHaveLength(payloads.length)
      expect(new Set(ids).size).toBe(payloads.length)
      for (const [i, id] of ids.entries()) expect((await h.d.taskGet({ id }))!.payload).toEqual(payloads[i])
      expect(await h.d.taskGet({ id: '00000000-0000-4000-8000-000000000000' })).toBeNull()
      expect(await h.d.taskInsertMany({ tasks: [] })).toEqual([])
    })
  })

  describe('claim', () => {
    it('orders by priority (highest first), then oldest runAt', async () => {
      const t = Date.now()
      const at = (ms: number) => new Date(t - ms)
      const [a, b, c, d, e] = await h.insertMany([
        { type: 'o', payload: 'a', options: { priority: 0, runAt: at(3000) } },
        { type: 'o', payload: 'b', options: { priority: 5, runAt: at(1000) } },
        { type: 'o', payload: 'c', options: { priority: 5, runAt: at(2000) } },
        { type: 'o', payload: 'd', options: { priority: 0, runAt: at(4000) } },
        { type: 'o', payload: 'e', options: { priority: -3, runAt: at(9000) } },
      ])
      expect((await h.claimOne('o')).id).toBe(c)
      const rest = await h.claim('o', 10)
      expect(rest.map((r) => r.id)).toEqual([b, d, a, e])
    })

    it('does not claim a delayed task before it is due', async () => {
      // 500 ms: so even a loaded machine is unlikely to pass it between the insert and the first claim.
      const id = await h.insert('later', {}, { delayMs: 500 })
      const inserted = Date.parse((await h.d.taskGet({ id }))!.createdAt)
      expect(await h.claim('later')).toEqual([])
      let claimed: string[] = []
      await until(async () => (claimed = (await h.claim('later')).map((c) => c.id)).length > 0, 5000, 'the delayed task to be claimable')
      expect(claimed).toEqual([id])
      expect(await h.dbNow()).toBeGreaterThanOrEqual(inserted + 500)
    })

    it('claims up to each wanted type limit, and only wanted types', async () => {
      await h.insertMany([...Array(3)].map(() => ({ type: 'a' })))
      await h.insertMany([...Array(3)].map(() => ({ type: 'b' })))
      await h.insertMany([...Array(3)].map(() => ({ type: 'c' })))
      const claimed = await h.d.taskClaim({
        droneId: 'x', droneName: 'x', leaseMs: 60_000,
        wants: [{ type: 'a', limit: 2 }, { type: 'b', limit: 1 }, { type: 'c', limit: 0 }, { type: 'none', limit: 5 }],
      })
      expect(claimed.filter((c) => c.type === 'a')).toHaveLength(2)
      expect(claimed.filter((c) => c.type === 'b')).toHaveLength(1)
      expect(claimed).toHaveLength(3)
      expect((await h.claim('a', 10)).length).toBe(1)
      expect((await h.claim('c', 10)).length).toBe(3)
    })

    it('marks a claimed task running with a lease, attempt and drone', async () => {
      const parent = await h.insert('p')
      const id = await h.insert('job', { x: 1 }, { maxAttempts: 3, parentId: parent })
      const before = await h.dbNow()
      const [c] = await h.claim('job', 5)
      // runAt: when it became due (metrics' wait); traceparent: none, as nothing traced the enqueue.
      expect(c).toEqual({ id, type: 'job', payloadJson: '{"x":1}', attempt: 1, maxAttempts: 3, parentId: parent, leaseSeq: expect.any(Number), runAt: expect.any(Number), traceparent: null })
      const task = (await h.d.taskGet({ id }))!
      expect(task).toMatchObject({ state: 'running', attempts: 1, drone: 'drone-one', finishedAt: null })
      expect(Date.parse(task.startedAt!)).toBeGreaterThanOrEqual(before)
      expect(await h.claim('job')).toEqual([])
    })
  })

  describe('completion', () => {
    it('succeeds: result, finishedAt and a succeeded attempt', async () => {
      const id = await h.insert('s')
      const c = await h.claimOne('s')
      const started = new Date(await h.dbNow())
      expect(await h.complete(c, { kind: 'succeeded', resultJson: '{"out":[1,2]}' }, { workerPid: 4242, startedAt: started })).toEqual([])
      const task = (await h.d.taskGet({ id }))!
      expect(task).toMatchObject({ state: 'succeeded', result: { out: [1, 2] }, attempts: 1, drone: 'drone-one' })
      expect(task.finishedAt).toMatch(ISO_RE)
      expect(Date.parse(task.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(task.startedAt!))
      const attempts = await h.d.taskAttemptList({ id })
      expect(attempts).toEqual([
        { taskId: id, attempt: 1, drone: 'drone-one', workerPid: 4242, startedAt: started.toISOString(), finishedAt: expect.stringMatching(ISO_RE), outcome: 'succeeded', error: null },
      ])
    })

    it('retries a failed attempt after its delay, then counts the next attempt', async () => {
      const id = await h.insert('r', {}, { maxAttempts: 3 })
      const c1 = await h.claimOne('r')
      const before = await h.dbNow()
      expect(await h.fail(c1, 500, 'first failure')).toEqual([])
      const queued = (await h.d.taskGet({ id }))!
      expect(queued).toMatchObject({ state: 'queued', attempts: 1, error: { message: 'first failure', stack: expect.stringContaining('first failure') }, finishedAt: null })
      expect(Date.parse(queued.runAt)).toBeGreaterThanOrEqual(before + 500)
      expect(await h.claim('r')).toEqual([])
      let c2 = undefined as Awaited<ReturnType<typeof h.claim>>[number] | undefined
      await until(async () => (c2 = (await h.claim('r'))[0]) !== undefined, 5000, 'the retry to be due')
      expect(c2!.attempt).toBe(2)
      expect(c2!.leaseSeq).toBeGreaterThan(c1.leaseSeq)
      expect(await h.succeed(c2!)).toEqual([])
      const attempts = await h.d.taskAttemptList({ id })
      expect(attempts.map((a) => [a.attempt, a.outcome, a.error?.message ?? null])).toEqual([
        [1, 'retried', 'first failure'],
        [2, 'succeeded', null],
      ])
    })

    it('fails for good with no retry delay', async () => {
      const id = await h.insert('f')
      const c = await h.claimOne('f')
      expect(await h.fail(c, null, 'permanent')).toEqual([])
      const task = (await h.d.taskGet({ id }))!
      expect(task).toMatchObject({ state: 'failed', attempts: 1, error: { message: 'permanent' }, result: null })
      expect(task.finishedAt).toMatch(ISO_RE)
      expect((await h.d.taskAttemptList({ id })).map((a) => a.outcome)).toEqual(['failed'])
      expect(await h.claim('f')).toEqual([])
    })

    it('fails when attempts are exhausted, even if a retry delay was given', async () => {
      const id = await h.insert('x', {}, { maxAttempts: 2 })
      expect(await h.fail(await h.claimOne('x'), 0)).toEqual([])
      expect(await h.state(id)).toBe('queued')
      const c2 = await h.claimOne('x')
      expect(c2.attempt).toBe(2)
      expect(await h.fail(c2, 0, 'last')).toEqual([])
      expect(await h.d.taskGet({ id })).toMatchObject({ state: 'failed', attempts: 2, error: { message: 'last' } })
      expect((await h.d.taskAttemptList({ id })).map((a) => a.outcome)).toEqual(['retried', 'failed'])
    })

    it('hands back without using an attempt', async () => {
      const id = await h.insert('hb', {}, { maxAttempts: 1 })
      const c = await h.claimOne('hb')
      expect(await h.complete(c, { kind: 'handback' })).toEqual([])
      expect(await h.d.taskGet({ id })).toMatchObject({ state: 'queued', attempts: 0, drone: null, startedAt: null, finishedAt: null })
      const again = await h.claimOne('hb')
      expect(again.attempt).toBe(1)
      expect(again.leaseSeq).toBeGreaterThan(c.leaseSeq)
      expect(await h.succeed(again)).toEqual([])
      expect(await h.state(id)).toBe('succeeded')
    })

    it('refuses outcomes fenced by a stale lease, twice-completed or unknown tasks', async () => {
      const id = await h.insert('fence')
      const c = await h.claimOne('fence')
      expect(await h.complete({ ...c, leaseSeq: c.leaseSeq - 1 }, { kind: 'succeeded', resultJson: '1' })).toEqual([id])
      expect(await h.complete({ ...c, leaseSeq: c.leaseSeq + 1 }, { kind: 'handback' })).toEqual([id])
      expect(await h.state(id)).toBe('running')
      expect(await h.succeed(c, 'first')).toEqual([])
      expect(await h.fail(c, null)).toEqual([id])
      expect(await h.d.taskGet({ id })).toMatchObject({ state: 'succeeded', result: 'first', error: null })
      expect(await h.succeed({ ...c, id: '00000000-0000-4000-8000-000000000001' })).toEqual(['00000000-0000-4000-8000-000000000001'])
    })

    it('applies a batch of mixed outcomes and refuses only the fenced ones', async () => {
      const ids = await h.insertMany([...Array(4)].map((_, i) => ({ type: 'mix', payload: i })))
      const cs = await h.claim('mix', 4)
      expect(cs).toHaveLength(4)
      const byId = new Map(cs.map((c) => [c.id, c]))
      const [c0, c1, c2, c3] = ids.map((id) => byId.get(id)!)
      const { refused } = await h.d.taskComplete({
        droneId: 'drone-id-1',
        completions: [
          { id: c0!.id, leaseSeq: c0!.leaseSeq, outcome: { kind: 'succeeded', resultJson: '0' } },
          { id: c1!.id, leaseSeq: c1!.leaseSeq, outcome: { kind: 'failed', error: { message: 'e' }, retryDelayMs: null } },
          { id: c2!.id, leaseSeq: c2!.leaseSeq + 7, outcome: { kind: 'succeeded', resultJson: '2' } },
          { id: c3!.id, leaseSeq: c3!.leaseSeq, outcome: { kind: 'handback' } },
        ],
      })
      expect(refused).toEqual([c2!.id])
      expect(await Promise.all(ids.map((id) => h.state(id)))).toEqual(['succeeded', 'failed', 'running', 'queued'])
    })
  })

  describe('cancel, retry, delete', () => {
    it('cancels a queued task; it is never claimed', async () => {
      const id = await h.insert('cq')
      const task = await h.d.taskCancel({ id })
      expect(task).toMatchObject({ id, state: 'cancelled' })
      expect(task!.finishedAt).toMatch(ISO_RE)
      expect(await h.claim('cq')).toEqual([])
    })

    it('cancels a running task: its lease is lost, its completion refused, and a cancel signal goes out', async () => {
      const local = await h.record()
      const peer = await h.peer()
      const remote = await h.record(peer)
      const id = await h.insert('cr')
      const c = await h.claimOne('cr')
      const gotLocal = local.next((s) => s.kind === 'cancel' && s.ids.includes(id))
      const gotRemote = remote.next((s) => s.kind === 'cancel' && s.ids.includes(id))
      expect(await h.d.taskCancel({ id })).toMatchObject({ state: 'cancelled' })
      await expect(gotLocal).resolves.toEqual({ kind: 'cancel', ids: expect.arrayContaining([id]) })
      await expect(gotRemote).resolves.toEqual({ kind: 'cancel', ids: expect.arrayContaining([id]) })
      expect(await h.d.taskLeaseExtend({ droneId: 'drone-id-1', leases: [c], leaseMs: 60_000 })).toEqual({ lost: [id] })
      expect(await h.succeed(c)).toEqual([id])
      expect(await h.state(id)).toBe('cancelled')
      expect((await h.d.taskAttemptList({ id })).map((a) => a.outcome)).toEqual(['cancelled'])
    })

    it('refuses to cancel a finished task with InputError; a missing one is null', async () => {
      const id = await h.insert('cf')
      await h.succeed(await h.claimOne('cf'))
      await expect(h.d.taskCancel({ id })).rejects.toBeInstanceOf(InputError)
      expect(await h.state(id)).toBe('succeeded')
      expect(await h.d.taskCancel({ id: '00000000-0000-4000-8000-000000000002' })).toBeNull()
    })

    it('retries a failed or cancelled task by hand with a fresh set of attempts', async () => {
      const id = await h.insert('mr', {}, { maxAttempts: 1 })
      await h.fail(await h.claimOne('mr'), null)
      const now = await h.dbNow()
      const task = (await h.d.taskRetry({ id }))!
      expect(task).toMatchObject({ state: 'queued', attempts: 0, finishedAt: null, startedAt: null, drone: null })
      expect(Math.abs(Date.parse(task.runAt) - now)).toBeLessThan(1000)
      const c = await h.claimOne('mr')
      expect(c.attempt).toBe(1)
      await h.d.taskCancel({ id })
      expect(await h.d.taskRetry({ id })).toMatchObject({ state: 'queued', attempts: 0 })
      await expect(h.d.taskRetry({ id })).rejects.toBeInstanceOf(InputError)
      expect(await h.d.taskRetry({ id: '00000000-0000-4000-8000-000000000003' })).toBeNull()
    })

    it('allows cancel, retry and delete from exactly the states the shared table names (src/queue/rules.ts, from TRANSITIONS)', async () => {
      // One task in each state per action, made the way the queue makes them.
      const inState = async (state: TaskState, type: string): Promise<string> => {
        const id = await h.insert(type, {}, { maxAttempts: 1 })
        if (state === 'queued') return id
        if (state === 'cancelled') {
          await h.d.taskCancel({ id })
          return id
        }
        const c = await h.claimOne(type)
        if (state === 'succeeded') await h.succeed(c)
        if (state === 'failed') await h.fail(c, null)
        return id
      }
      for (const action of ['cancel', 'retry', 'delete'] as const) {
        for (const state of TASK_STATES) {
          const id = await inState(state, `tbl-${action}-${state}`)
          const act = action === 'cancel' ? h.d.taskCancel({ id }) : action === 'retry' ? h.d.taskRetry({ id }) : h.d.taskDelete({ id })
          if (actionAllowed(action, state)) {
            await expect(act, `${action} from ${state}`).resolves.toBeTruthy()
          } else {
            await expect(act, `${action} from ${state}`).rejects.toThrow(actionRefused(action, id, state).message)
            expect(await h.state(id)).toBe(state)
          }
        }
      }
    })

    it('deletes a task that is not running, with its logs', async () => {
      const id = await h.insert('del')
      await h.d.taskLogInsertMany({ logs: [{ taskId: id, attempt: 0, level: 'info', message: 'hello', at: new Date().toISOString() }] })
      expect(await h.d.taskDelete({ id })).toBe(true)
      expect(await h.d.taskGet({ id })).toBeNull()
      expect(await h.d.taskLogList({ id })).toEqual([])
      expect(await h.d.taskDelete({ id })).toBe(false)
      const running = await h.insert('del')
      await h.claimOne('del')
      await expect(h.d.taskDelete({ id: running })).rejects.toBeInstanceOf(InputError)
      expect(await h.state(running)).toBe('running')
    })
  })

  describe('key dedupe', () => {
    it('returns the live task for a repeated key, sequentially and within one batch', async () => {
      const first = await h.insert('k', { n: 1 }, { key: 'same' })
      expect(await h.insert('k', { n: 2 }, { key: 'same' })).toBe(first)
      const [a, b, c, d] = await h.insertMany([
        { type: 'k', options: { key: 'batch' } },
        { type: 'k', options: { key: 'batch' } },
        { type: 'k', options: { key: 'same' } },
        { type: 'k', options: { key: 'other' } },
      ])
      expect(b).toBe(a)
      expect(c).toBe(first)
      expect(new Set([a, first, d]).size).toBe(3)
      expect((await h.d.taskGet({ id: first }))!.payload).toEqual({ n: 1 })
      expect(await h.d.taskCount({ type: 'k' })).toBe(3)
    })

    it('dedupes while running; the key is free again once the task finished', async () => {
      const first = await h.insert('kr', {}, { key: 'once' })
      const c = await h.claimOne('kr')
      expect(await h.insert('kr', {}, { key: 'once' })).toBe(first)
      await h.succeed(c)
      const second = await h.insert('kr', {}, { key: 'once' })
      expect(second).not.toBe(first)
      expect(await h.state(second)).toBe('queued')
    })

    it('refuses to retry a finished task while another live task holds its key', async () => {
      const first = await h.insert('kx', {}, { key: 'held' })
      await h.d.taskCancel({ id: first })
      const second = await h.insert('kx', {}, { key: 'held' })
      expect(second).not.toBe(first)
      await expect(h.d.taskRetry({ id: first })).rejects.toBeInstanceOf(InputError)
      expect(await h.state(first)).toBe('cancelled')
    })
  })
}
