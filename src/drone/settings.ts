import { DRONE_DEFAULTS, type DroneOptions } from '../core/config.ts'

/** The drone's options after validation, every default filled in once (DRONE_DEFAULTS documents each). */
export type DroneSettings = { readonly [K in keyof typeof DRONE_DEFAULTS]: number }

export function droneSettings(options: DroneOptions): DroneSettings {
  return {
    bufferPerWorker: options.bufferPerWorker ?? DRONE_DEFAULTS.bufferPerWorker,
    leaseMs: options.leaseMs ?? DRONE_DEFAULTS.leaseMs,
    taskTimeoutMs: options.taskTimeoutMs ?? DRONE_DEFAULTS.taskTimeoutMs,
    retryBaseMs: options.retryBaseMs ?? DRONE_DEFAULTS.retryBaseMs,
    retryMaxMs: options.retryMaxMs ?? DRONE_DEFAULTS.retryMaxMs,
    graceMs: options.graceMs ?? DRONE_DEFAULTS.graceMs,
    pollMs: options.pollMs ?? DRONE_DEFAULTS.pollMs,
  }
}
