/**
 * The console's data folder holds payloads, results and connection metadata: only its owner may
 * read it. The folder (and its subfolders) 0700, its databases (with their -wal/-shm) and logs 0600,
 * on creation and whenever they are found wider (SQLite creates files by the umask, usually 0644).
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const FILE_RE = /\.(db|db-wal|db-shm|db-journal|sqlite|log|key)$/

/** Creates `dir` 0700 if missing, then narrows it and what is in it (two levels: drones/ inside). */
export function tightenDataDir(dir: string, depth = 2): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  narrow(dir, 0o700)
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory() && depth > 1) tightenDataDir(p, depth - 1)
    else if (e.isFile() && FILE_RE.test(e.name)) narrow(p, 0o600)
  }
}

function narrow(path: string, mode: number): void {
  if (process.platform === 'win32') return
  try {
    if ((statSync(path).mode & 0o777 & ~mode) !== 0) chmodSync(path, mode)
  } catch {
    // gone meanwhile (a -wal removed on close), or not ours: nothing to narrow
  }
}
