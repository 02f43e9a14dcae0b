import type pg from 'pg'
import type { Queue } from '../../../src/queue/queue.ts'

/** Keeps at least `low` tasks of a type queued (tops up by `batch`) while a fault loop runs; returns the ids. */
export class Feeder {
  readonly ids: string[] = []
  private n = 0
  constructor(
    private readonly queue: Queue,
    /** public: a scenario that restarts the server hands in a new connection */
    public admin: pg.Client,
    private readonly schema: string,
    private readonly type: string,
    private readonly payload: Record<string, unknown>,
    private readonly opts: { low: number; batch: number; maxAttempts?: number },
  ) {}

  async topUp(): Promise<void> {
    const r = await this.admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${this.schema}".tasks WHERE state = 'queued' AND type = $1`, [this.type])
    if (Number(r.rows[0]!.n) >= this.opts.low) return
    const tasks = Array.from({ length: this.opts.batch }, () => ({
      type: this.type,
      payload: { ...this.payload, n: this.n++ },
      ...(this.opts.maxAttempts ? { options: { maxAttempts: this.opts.maxAttempts } } : {}),
    }))
    this.ids.push(...(await this.queue.enqueueMany(tasks)))
  }
}
