/** The console's data folder is its owner's only: 0700, its databases and keys 0600, also when found wider. */
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConsoleService } from '../../src/api/service.ts'
import { tempDir } from '../helpers.ts'

const tmp = tempDir('swarmage-data-dir-')
afterAll(() => tmp.cleanup())
const mode = (p: string): number => statSync(p).mode & 0o777

describe.skipIf(process.platform === 'win32')('console data folder modes', () => {
  it('creates the folder 0700 and its settings database 0600', async () => {
    const dir = join(tmp.dir, 'fresh')
    const service = new ConsoleService({ dataDir: dir, mode: 'browser', seedExamples: false })
    await service.start()
    try {
      expect(mode(dir)).toBe(0o700)
      expect(mode(join(dir, 'console.db'))).toBe(0o600)
    } finally {
      await service.stop()
    }
  })

  it('narrows a folder and files found wider (0755, 0644) on start', async () => {
    const dir = join(tmp.dir, 'wide')
    mkdirSync(join(dir, 'drones'), { recursive: true })
    writeFileSync(join(dir, 'drones', 'old.db'), '')
    writeFileSync(join(dir, 'console.log'), '')
    chmodSync(dir, 0o755)
    chmodSync(join(dir, 'drones'), 0o755)
    chmodSync(join(dir, 'drones', 'old.db'), 0o644)
    chmodSync(join(dir, 'console.log'), 0o644)
    const service = new ConsoleService({ dataDir: dir, mode: 'browser', seedExamples: false })
    await service.start()
    try {
      expect(mode(dir)).toBe(0o700)
      expect(mode(join(dir, 'drones'))).toBe(0o700)
      expect(mode(join(dir, 'drones', 'old.db'))).toBe(0o600)
      expect(mode(join(dir, 'console.log'))).toBe(0o600)
      expect(mode(join(dir, 'console.db'))).toBe(0o600)
    } finally {
      await service.stop()
    }
  })
})
