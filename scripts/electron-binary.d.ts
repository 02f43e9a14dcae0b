// Types for electron-binary.js (plain JS so `npm start` runs without a build or a loader).
export type ElectronBinary = { present: true; path: string } | { present: false; reason: string }
export function detectElectronBinary(root: string, env?: NodeJS.ProcessEnv): ElectronBinary
export const BUILD_OUTPUTS: string[]
export const BUILD_INPUTS: string[]
export function isBuildStale(root: string, outputs?: string[]): boolean
