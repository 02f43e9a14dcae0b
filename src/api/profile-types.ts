/** What the console API says of a CPU profile or heap snapshot (src/api/profiles.ts keeps them). */
export interface ProfileView {
  id: string
  kind: 'cpu' | 'heap'
  /** the request this is part of: a CPU profile of a type gives one view per process, one runId */
  runId: string
  state: 'running' | 'ready' | 'failed'
  droneId: string
  droneName: string
  type: string
  workerId: string
  pid: number
  /** cpu: N, the tasks asked for across the run's processes */
  requested: number | null
  /** cpu: tasks covered so far by the whole run (while running), then by this process */
  covered: number
  /** cpu: the tasks that started and finished under the profiler in this process */
  taskIds: string[]
  samples: number
  /** the file's size, once ready */
  bytes: number
  startedAt: string
  endedAt: string | null
  /** the download's file name: `<type>-<workerId>-<time>.cpuprofile|.heapsnapshot` */
  fileName: string
  error?: string
}

export interface ProfileChunk {
  /** base64 of the file's bytes from `offset` */
  data: string
  offset: number
  size: number
  /** where the next chunk starts; null at the end */
  next: number | null
}
