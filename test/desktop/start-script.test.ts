// `npm start`'s decisions, made from files alone (never by loading `electron`): is Electron's binary
// installed, and is out/ older than the sources? Each case is a real folder layout in a temp dir.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { detectElectronBinary, isBuildStale, BUILD_OUTPUTS } from '../../scripts/electron-binary.js'
import { tempDir, until } from '../helpers.ts'

function write(path: string, text = ''): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
}

function setMtime(path: string, seconds: number): void {
  utimesSync(path, seconds, seconds)
}

describe('detectElectronBinary', () => {
  const tmp = tempDir('swarmage-start-')
  afterAll(() => tmp.cleanup())

  it('walks the states from "not installed" to "present", naming what is missing', () => {
    const root = join(tmp.dir, 'project')
    const pkg = join(root, 'node_modules', 'electron')
    let r = detectElectronBinary(root, {})
    expect(r).toMatchObject({ present: false, reason: expect.stringMatching(/npm install/) })

    write(join(pkg, 'package.json'), '{"name":"electron","version":"45.5.0"}')
    r = detectElectronBinary(root, {})
    expect(r).toMatchObject({ present: false, reason: expect.stringMatching(/path\.txt/) })

    write(join(pkg, 'path.txt'), 'electron')
    r = detectElectronBinary(root, {})
    expect(r).toMatchObject({ present: false, reason: expect.stringMatching(/dist/) })

    mkdirSync(join(pkg, 'dist'))
    r = detectElectronBinary(root, {})
    expect(r).toMatchObject({ present: false, reason: expect.stringMatching(/dist[/\\]electron is missing/) })

    write(join(pkg, 'dist', 'electron'), '#!/bin/sh\n')
    r = detectElectronBinary(root, {})
    expect(r).toEqual({ present: true, path: join(pkg, 'dist', 'electron') })
  })

  it('honours ELECTRON_OVERRIDE_DIST_PATH as electron/index.js does', () => {
    const root = join(tmp.dir, 'override')
    write(join(root, 'node_modules', 'electron', 'package.json'), '{}')
    write(join(root, 'node_modules', 'electron', 'path.txt'), 'electron')
    const dist = join(tmp.dir, 'elsewhere')
    write(join(dist, 'electron'), '')
    expect(detectElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: dist })).toEqual({ present: true, path: join(dist, 'electron') })
    expect(detectElectronBinary(root, {}).present).toBe(false)
  })

  it('reports this checkout honestly (no binary can be downloaded on this machine)', () => {
    const r = detectElectronBinary(join(import.meta.dirname, '..', '..'))
    if (!r.present) expect(r.reason).toMatch(/path\.txt|dist|electron/)
    else expect(r.path).toMatch(/electron/)
  })
})

describe('isBuildStale', () => {
  const tmp = tempDir('swarmage-stale-')
  afterAll(() => tmp.cleanup())

  it('is stale while an output is missing, fresh once all outputs are newer, stale again when a source changes', () => {
    const root = tmp.dir
    write(join(root, 'package.json'), '{}')
    write(join(root, 'src', 'main', 'index.ts'), 'x')
    write(join(root, 'src', 'renderer', 'src', 'App.tsx'), 'x')
    for (const f of [join(root, 'package.json'), join(root, 'src', 'main', 'index.ts'), join(root, 'src', 'renderer', 'src', 'App.tsx')]) setMtime(f, 1_000)
    for (const d of ['src', 'src/main', 'src/renderer', 'src/renderer/src']) setMtime(join(root, d), 1_000)
    expect(isBuildStale(root)).toBe(true)

    for (const out of BUILD_OUTPUTS.slice(0, -1)) write(join(root, out))
    expect(isBuildStale(root)).toBe(true)
    write(join(root, BUILD_OUTPUTS.at(-1)!))
    for (const out of BUILD_OUTPUTS) setMtime(join(root, out), 2_000)
    expect(isBuildStale(root)).toBe(false)
    expect(isBuildStale(root, ['out/renderer/index.html'])).toBe(false)

    setMtime(join(root, 'src', 'renderer', 'src', 'App.tsx'), 3_000)
    expect(isBuildStale(root)).toBe(true)
  })
})

describe('npm start without Electron\'s binary', () => {
  const tmp = tempDir('swarmage-npm-start-')
  afterAll(() => tmp.cleanup())

  it('says so in one line, serves the console in the browser, and stops cleanly on Ctrl+C', async () => {
    const root = join(import.meta.dirname, '..', '..')
    const emptyDist = join(tmp.dir, 'no-electron')
    mkdirSync(emptyDist)
    // Own process group (detached), so "Ctrl+C" can be sent to the group as a terminal does.
    const child = spawn(
      process.execPath,
      ['scripts/start.js', '--port', '0', '--no-open', '--data-dir', join(tmp.dir, 'console'), '--queue', `sqlite:${join(tmp.dir, 'swarm.db')}`],
      {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // No binary, whatever this machine has; no download attempt.
        // An existing build is served as is: rebuilding out/ here would pull it from under other test
        // files that serve it (only a missing build is built).
        env: {
          ...process.env,
          ELECTRON_OVERRIDE_DIST_PATH: emptyDist,
          SWARMAGE_ELECTRON_DOWNLOAD: '0',
          ...(existsSync(join(root, 'out', 'renderer', 'index.html')) ? { SWARMAGE_START_NO_BUILD: '1' } : {}),
        },
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await until(() => /swarmage console: http:\/\/\S+/.test(stdout) || child.exitCode !== null, 60_000, 'the console address')
      expect(stdout.split('\n')[0]).toBe("Electron's binary is not installed here (offline?): opening the console in your browser instead")
      const url = /swarmage console: (http:\/\/\S+)/.exec(stdout)?.[1]
      expect(url, `stdout: ${stdout}\nstderr: ${stderr}`).toBeDefined()
      const page = await fetch(url!)
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<div id="root">/)
      process.kill(-child.pid!, 'SIGINT')
      expect(await exited).toBe(0)
      expect(stderr).toMatch(/SIGINT: draining/)
      expect(stderr).not.toMatch(/again: exiting now/)
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL')
    }
  })
})
