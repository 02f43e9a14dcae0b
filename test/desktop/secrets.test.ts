// Connection passwords on the desktop: safeStorage's plain-text backend (Linux without a keyring) is
// refused until the user accepts it, and a password never reaches a log. safeStorage is a stand-in
// (Electron's binary is not needed for this logic); the console service and its SQLite are real.
import type { IpcMainInvokeEvent } from 'electron'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { IPC_PREFIX } from '../../src/api/contract.ts'
import { ConsoleService } from '../../src/api/service.ts'
import { desktopApi } from '../../src/main/desktop-api.ts'
import type { IpcReply } from '../../src/api/contract.ts'
import { registerApiRoutes } from '../../src/main/ipc-router.ts'
import { SafeStorageSecretStore } from '../../src/main/secrets.ts'
import { tempDir } from '../helpers.ts'

vi.mock('electron', () => {
  throw new Error('secrets.ts must take safeStorage as a parameter, not load electron')
})

const PASSWORD = 'hunter2-Sw4rm-p@ss'

/** safeStorage's surface: "encryption" is a byte flip, enough to tell stored from clear. */
function fakeSafeStorage(backend: 'basic_text' | 'gnome_libsecret', available = true) {
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (s: string) => Buffer.from([...Buffer.from(s, 'utf8')].map((b) => b ^ 0x5a)),
    decryptString: (b: Buffer) => {
      if (b.length === 0) throw new Error(`cannot decrypt ${PASSWORD}`)
      return Buffer.from([...b].map((x) => x ^ 0x5a)).toString('utf8')
    },
  }
}

/** Every console method and stdout/stderr write, so a test can check the password never went there. */
function captureOutput() {
  const spies: MockInstance[] = [
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => undefined)),
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
  ]
  return {
    text: () => spies.flatMap((s) => s.mock.calls.flat()).map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join('\n'),
    restore: () => spies.forEach((s) => s.mockRestore()),
  }
}

describe('SafeStorageSecretStore', () => {
  const tmp = tempDir('swarmage-secrets-')
  afterAll(() => tmp.cleanup())

  it('on a real keyring: stores and reads back, no consent needed', () => {
    const store = SafeStorageSecretStore.inDataDir(fakeSafeStorage('gnome_libsecret'), `${tmp.dir}/keyring`)
    expect(store.plaintext()).toBe(false)
    expect(store.available()).toBe(true)
    const enc = store.encrypt(PASSWORD)
    expect(enc.toString('utf8')).not.toContain(PASSWORD)
    expect(store.decrypt(enc)).toBe(PASSWORD)
  })

  it("refuses the plain-text backend without consent, accepts with it, and remembers the answer", () => {
    const dir = `${tmp.dir}/plain`
    const store = SafeStorageSecretStore.inDataDir(fakeSafeStorage('basic_text'), dir)
    expect(store.plaintext()).toBe(true)
    expect(() => store.encrypt(PASSWORD)).toThrow(/plain text/)
    expect(store.acceptPlaintext(true)).toEqual({ plaintextSecrets: true, accepted: true })
    expect(store.decrypt(store.encrypt(PASSWORD))).toBe(PASSWORD)
    // a new launch reads the recorded consent
    const again = SafeStorageSecretStore.inDataDir(fakeSafeStorage('basic_text'), dir)
    expect(again.accepted()).toBe(true)
    again.acceptPlaintext(false)
    expect(() => again.encrypt(PASSWORD)).toThrow(/plain text/)
    expect(SafeStorageSecretStore.inDataDir(fakeSafeStorage('basic_text'), dir).accepted()).toBe(false)
  })

  it('basic_text only means plain text on Linux', () => {
    const mac = new SafeStorageSecretStore(fakeSafeStorage('basic_text'), `${tmp.dir}/mac.json`, 'darwin')
    expect(mac.plaintext()).toBe(false)
    expect(mac.decrypt(mac.encrypt(PASSWORD))).toBe(PASSWORD)
  })

  it('with no encryption at all: not available, and encrypt refuses', () => {
    const store = SafeStorageSecretStore.inDataDir(fakeSafeStorage('gnome_libsecret', false), `${tmp.dir}/none`)
    expect(store.available()).toBe(false)
    expect(() => store.encrypt(PASSWORD)).toThrow(/keychain/)
  })

  it('never puts the password in an error message', () => {
    const store = new SafeStorageSecretStore(fakeSafeStorage('basic_text'), `${tmp.dir}/err.json`, 'linux')
    let message = ''
    try {
      store.encrypt(PASSWORD)
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).not.toBe('')
    expect(message).not.toContain(PASSWORD)
    // safeStorage's own failure text (here it names the password) is replaced by ours
    expect(() => store.decrypt(Buffer.alloc(0))).toThrow(/could not be decrypted/)
    try {
      store.decrypt(Buffer.alloc(0))
    } catch (err) {
      expect((err as Error).message).not.toContain(PASSWORD)
    }
  })
})

describe('passwords through IPC → console service → safeStorage', () => {
  const tmp = tempDir('swarmage-secrets-ipc-')
  const handlers = new Map<string, (event: IpcMainInvokeEvent, params: unknown) => Promise<IpcReply>>()
  let service: ConsoleService
  let secrets: SafeStorageSecretStore
  let output: ReturnType<typeof captureOutput>

  const call = (method: string, params: unknown) => handlers.get(IPC_PREFIX + method)!({} as IpcMainInvokeEvent, params)
  const pgConnection = { name: 'cluster', kind: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres', password: PASSWORD }

  beforeEach(async () => {
    output = captureOutput()
    secrets = SafeStorageSecretStore.inDataDir(fakeSafeStorage('basic_text'), tmp.dir)
    service = new ConsoleService({ dataDir: tmp.dir, mode: 'desktop', secrets, seedExamples: false, autostart: false })
    registerApiRoutes({
      ipcMain: { handle: (c, l) => void handlers.set(c, l as never), removeHandler: (c) => void handlers.delete(c) },
      service: desktopApi(service, secrets, service.start()),
      isTrustedSender: () => true,
      warn: (m) => console.warn(m),
    })
  })

  afterEach(async () => {
    await service.stop()
    output.restore()
  })

  afterAll(() => tmp.cleanup())

  it('refuses a password until plain text is accepted, then stores it encrypted; never logs it', async () => {
    const info = (await call('app.info', {})) as { result: { plaintextSecrets: boolean } }
    expect(info.result.plaintextSecrets).toBe(true)

    const refused = await call('connections.save', pgConnection)
    expect('error' in refused && refused.error.code).toBe('input')
    expect(JSON.stringify(refused)).toMatch(/plain text/)
    expect(JSON.stringify(refused)).not.toContain(PASSWORD)

    const accepted = await call('app.acceptPlaintextSecrets', { accept: true })
    expect(accepted).toEqual({ result: { plaintextSecrets: true, accepted: true } })
    expect(secrets.accepted()).toBe(true)

    const saved = (await call('connections.save', pgConnection)) as { result: { id: string; hasPassword: boolean; display: string } }
    expect(saved.result.hasPassword).toBe(true)
    expect(JSON.stringify(saved)).not.toContain(PASSWORD)
    const listed = await call('connections.list', {})
    expect(JSON.stringify(listed)).not.toContain(PASSWORD)

    // Withdrawing consent reaches the store at the encryption point too.
    await call('app.acceptPlaintextSecrets', { accept: false })
    expect(secrets.accepted()).toBe(false)
    expect(() => secrets.encrypt(PASSWORD)).toThrow(/plain text/)

    expect(output.text()).not.toContain(PASSWORD)
  })
})
