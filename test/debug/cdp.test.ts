/** The CDP client talks to loopback inspectors only, and says which address it could not reach. */
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { CdpConnection, CdpError, assertLoopbackInspector } from '../../src/debug/cdp.ts'

describe('CDP client', () => {
  it('accepts ws:// on loopback and refuses anything else, naming it', () => {
    expect(assertLoopbackInspector('ws://127.0.0.1:9229/abc').port).toBe('9229')
    expect(assertLoopbackInspector('ws://localhost:9229/abc').hostname).toBe('localhost')
    for (const bad of ['ws://10.1.2.3:9229/abc', 'wss://127.0.0.1:9229/abc', 'http://127.0.0.1:9229/abc', 'ws://127.0.0.1.example.com:9229/x', 'not a url']) {
      expect(() => assertLoopbackInspector(bad)).toThrow(CdpError)
      expect(() => assertLoopbackInspector(bad)).toThrow(bad)
    }
  })

  it('rejects open() on a port where nothing listens, with the address', async () => {
    // A port just freed: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    const url = `ws://127.0.0.1:${port}/gone`
    await expect(CdpConnection.open(url)).rejects.toThrow(`cannot reach the inspector at ${url}`)
    await expect(CdpConnection.open('ws://192.0.2.1:9229/x')).rejects.toThrow(/loopback/)
  })
})
