/**
 * What the IPC routes call: the console service, plus the two things the desktop adds around it.
 * Calls made while the service is still starting (migrations, seeding, the first drone) wait for it
 * rather than fail, since the window opens first. Accepting plain-text secrets is recorded twice:
 * by the service (its refusal message reads it) and by the safeStorage store at the encryption point,
 * so neither lets a password through on its own.
 */
import type { ApiMethod } from '../api/contract.ts'
import type { ApiHandler } from './ipc-router.ts'
import type { SafeStorageSecretStore } from './secrets.ts'

export function desktopApi(
  service: { handle(method: string, rawParams: unknown): Promise<unknown> },
  secrets: Pick<SafeStorageSecretStore, 'acceptPlaintext'>,
  started: Promise<void>,
): ApiHandler {
  return {
    async handle(method: ApiMethod, rawParams: unknown) {
      await started
      const result = await service.handle(method, rawParams)
      if (method === 'app.acceptPlaintextSecrets') secrets.acceptPlaintext((rawParams as { accept: boolean }).accept)
      return result
    },
  }
}
