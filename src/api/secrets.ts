/**
 * Where connection passwords are kept. The desktop app passes a SecretStore over Electron's
 * safeStorage (the OS keychain's key). The browser console (and any headless use) gets
 * `KeyFileSecretStore`: AES-256-GCM with a random 32-byte key in `<dataDir>/secret.key`, created with
 * mode 0600. That keeps passwords out of console.db in clear text (a copied or backed-up database
 * alone reveals nothing) but anyone who can read the key file as this user can decrypt them: it is
 * as strong as the file permissions, which is what `plaintext()` = false means here.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface SecretStore {
  /** Whether secrets can be stored at all (false: the UI refuses passwords and says why). */
  available(): boolean
  /** Whether stored secrets are effectively plain text (e.g. safeStorage's 'basic_text' backend on Linux). */
  plaintext(): boolean
  encrypt(secret: string): Buffer | string
  decrypt(stored: Buffer): string
}

const VERSION = 1

export class KeyFileSecretStore implements SecretStore {
  private key: Buffer | undefined
  constructor(private readonly keyPath: string) {}

  static inDataDir(dataDir: string): KeyFileSecretStore {
    return new KeyFileSecretStore(join(dataDir, 'secret.key'))
  }

  available(): boolean {
    return true
  }

  plaintext(): boolean {
    return false
  }

  encrypt(secret: string): Buffer {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.loadKey(), iv)
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
  }

  decrypt(stored: Buffer): string {
    if (stored.length < 29 || stored[0] !== VERSION) throw new Error('stored secret is not in a known format')
    const decipher = createDecipheriv('aes-256-gcm', this.loadKey(), stored.subarray(1, 13))
    decipher.setAuthTag(stored.subarray(13, 29))
    return Buffer.concat([decipher.update(stored.subarray(29)), decipher.final()]).toString('utf8')
  }

  private loadKey(): Buffer {
    if (this.key) return this.key
    if (existsSync(this.keyPath)) {
      const key = readFileSync(this.keyPath)
      if (key.length !== 32) throw new Error(`${this.keyPath} is not a 32-byte key`)
      this.key = key
      return key
    }
    mkdirSync(dirname(this.keyPath), { recursive: true })
    const key = randomBytes(32)
    // 'wx': never overwrite a key another process just wrote (that would orphan its secrets).
    try {
      writeFileSync(this.keyPath, key, { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as { code?: string }).code === 'EEXIST') return this.loadKey()
      throw err
    }
    chmodSync(this.keyPath, 0o600)
    this.key = key
    return key
  }
}
