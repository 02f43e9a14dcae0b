/**
 * A stored profile's file, read through the API in chunks (profiles.read: 1 MiB, base64), so the same
 * path serves the browser console (the authenticated WebSocket) and the app (IPC): no URL that a page
 * could open without the token, and no separate download channel to secure.
 */
import type { ProfileView } from '../../../../api/profile-types.ts'
import { call } from '../../transport/index.ts'

export async function readProfileFile(id: string, onProgress?: (done: number, size: number) => void): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let offset: number | null = 0
  let size = 0
  let got = 0
  while (offset !== null) {
    const chunk: Awaited<ReturnType<typeof call<'profiles.read'>>> = await call('profiles.read', { id, offset })
    const bytes = base64Bytes(chunk.data)
    parts.push(bytes)
    size = chunk.size
    got += bytes.length
    onProgress?.(got, size)
    offset = chunk.next
  }
  const out = new Uint8Array(got)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export async function readProfileText(id: string): Promise<string> {
  return new TextDecoder().decode(await readProfileFile(id))
}

/** Saves the profile's file under its `fileName` (.cpuprofile opens in DevTools' Performance panel). */
export async function downloadProfile(view: ProfileView, onProgress?: (done: number, size: number) => void): Promise<void> {
  const bytes = await readProfileFile(view.id, onProgress)
  const blob = new Blob([bytes as BlobPart], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  try {
    const a = document.createElement('a')
    a.href = url
    a.download = view.fileName
    a.rel = 'noopener'
    document.body.append(a)
    a.click()
    a.remove()
  } finally {
    // The click has handed the blob to the download by now; a moment later is safe in every browser.
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
