/**
 * Connection passwords on the desktop, encrypted with Electron's `safeStorage` (a key held by the OS
 * keychain: Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux).
 *
 * On a Linux desktop with no recognised keyring, safeStorage falls back to the 'basic_text' backend:
 * "encrypted" with a hard-coded key, i.e. plain text to anyone who can read the file. Passwords are
 * then refused until the user accepts that explicitly (`app.acceptPlaintextSecrets`); the acceptance
 * is kept in a small file in the data folder so it is asked once, and can be withdrawn.
 *
 * Secrets never reach a log: no method here prints, and errors never include the secret.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { SafeStorage } from 'electron'
import { ApiError } from '../api/errors.ts'
import type { SecretStore } from '../api/secrets.ts'

type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>

export class SafeStorageSecretStore implements SecretStore {
  private consent: boolean

  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly consentPath: string,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.consent = readConsent(consentPath)
  }

  static inDataDir(safeStorage: SafeStorageLike, dataDir: string): SafeStorageSecretStore {
    return new SafeStorageSecretStore(safeStorage, join(dataDir, 'plaintext-secrets-accepted.json'))
  }

  /**
   * safeStorage works at all. A plain-text backend still counts as available: the service then asks
   * for consent (its refusal names `app.acceptPlaintextSecrets`), and `encrypt` refuses without it.
   */
  available(): boolean {
    return this.safeStorage.isEncryptionAvailable()
  }

  /** Only meaningful after app 'ready' (before it, Linux reports 'unknown'). */
  plaintext(): boolean {
    return this.platform === 'linux' && this.safeStorage.getSelectedStorageBackend() === 'basic_text'
  }

  accepted(): boolean {
    return this.consent
  }

  /** Records (or withdraws) the user's acceptance of plain-text storage. */
  acceptPlaintext(accept: boolean): { plaintextSecrets: boolean; accepted: boolean } {
    if (accept) {
      mkdirSync(dirname(this.consentPath), { recursive: true })
      writeFileSync(this.consentPath, JSON.stringify({ acceptedAt: new Date().toISOString() }) + '\n', { mode: 0o600 })
    } else {
      rmSync(this.consentPath, { force: true })
    }
    this.consent = accept
    return { plaintextSecrets: this.plaintext(), accepted: accept }
  }

  encrypt(secret: string): Buffer {
    if (!this.safeStorage.isEncryptionAvailable()) {
      throw new ApiError('input', 'Passwords cannot be stored: the system keychain is not available to Swarmage.')
    }
    if (this.plaintext() && !this.consent) {
      throw new ApiError(
        'input',
        'Passwords cannot be stored safely here: no system keyring was found (Electron would keep them as plain text). ' +
          'Accept plain-text storage in Settings, or run with a keyring (GNOME Keyring, KWallet).',
      )
    }
    return this.safeStorage.encryptString(secret)
  }

  decrypt(stored: Buffer): string {
    try {
      return this.safeStorage.decryptString(stored)
    } catch {
      // safeStorage's own message can include platform details but never the secret; keep it short.
      throw new ApiError('internal', 'A stored password could not be decrypted (the system keyring changed?): enter it again.')
    }
  }
}

function readConsent(path: string): boolean {
  if (!existsSync(path)) return false
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { acceptedAt?: unknown }
    return typeof data.acceptedAt === 'string'
  } catch {
    return false
  }
}
