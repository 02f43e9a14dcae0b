import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The built renderer: out/renderer of the package, found from this module whether it runs from
 * src/console (a checkout), dist/console (the installed package) or a bundle in out/main. The first
 * folder up with a package.json is the package: never a user's project above node_modules.
 */
export function defaultStaticDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    if (existsSync(resolve(dir, 'package.json'))) return resolve(dir, 'out', 'renderer')
    dir = dirname(dir)
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../out/renderer')
}
