/** A worker definition's `file:` module URL is decoded (fileURLToPath), so a folder with a space works. */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { exampleWorkerPaths } from '../../src/api/examples.ts'
import { ConsoleService } from '../../src/api/service.ts'
import { tempDir } from '../helpers.ts'

const tmp = tempDir('swarmage-module-url-')
afterAll(() => tmp.cleanup())

describe('file: module URLs', () => {
  it('accepts a file URL with %20 in its path', async () => {
    const dir = join(tmp.dir, 'my workers')
    mkdirSync(dir)
    const file = join(dir, 'io.mjs')
    copyFileSync(exampleWorkerPaths().io, file)
    const url = pathToFileURL(file).href
    expect(url).toContain('%20')
    const service = new ConsoleService({ dataDir: join(tmp.dir, 'data'), mode: 'browser', seedExamples: false })
    await service.start()
    try {
      const saved = await service.call('workers.save', { type: 'io', module: url })
      expect(saved.moduleExists).toBe(true)
      await expect(service.call('workers.save', { type: 'io', module: 'file://remote-host/x.mjs' })).rejects.toMatchObject({ code: 'input' })
    } finally {
      await service.stop()
    }
  })
})
