import { createRequire } from 'node:module'
import type { Command } from 'commander'
import { commandContext, common, withQueue, type CommonOptions } from '../context.ts'

/**
 * `swarmage mcp [--allow-writes]`: a Model Context Protocol server on stdin/stdout for the queue
 * (src/mcp/server.ts). It serves until the client closes stdin (or SIGINT/SIGTERM), then closes the
 * queue and exits 0. stdout carries the protocol only; `--json` is accepted like everywhere else and
 * changes nothing (the protocol is JSON already). Errors before serving (a bad --queue, a missing
 * schema) are one line on stderr with the usual exit status.
 */
export function registerMcp(program: Command): void {
  common(program.command('mcp').description('serve the queue to an AI assistant as MCP tools over stdio (read-only unless --allow-writes)'))
    .option('--allow-writes', 'also expose retry, cancel, enqueue and schedule changes')
    .action(async (opts: CommonOptions & { allowWrites?: boolean }) => {
      const ctx = await commandContext(opts)
      await withQueue(ctx, async (queue) => {
        // The SDK is loaded only by this command: other commands start without it.
        const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([import('../../mcp/server.ts'), import('@modelcontextprotocol/sdk/server/stdio.js')])
        const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string }
        await queue.stats() // fails here, as one line, when the queue cannot be read (e.g. no schema yet)
        const server = createMcpServer({ queue, allowWrites: opts.allowWrites === true, version })
        const transport = new StdioServerTransport()
        await new Promise<void>((resolve) => {
          let closed = false
          const close = (): void => {
            if (closed) return
            closed = true
            void server.close().finally(resolve)
          }
          transport.onclose = close
          process.stdin.once('end', close)
          process.once('SIGINT', close)
          process.once('SIGTERM', close)
          void server.connect(transport).then(() => {
            process.stderr.write(`swarmage mcp: serving ${queue.kind} queue tools on stdio (${opts.allowWrites ? 'read and write' : 'read-only'})\n`)
          }, (err: unknown) => {
            process.stderr.write(`swarmage mcp: ${String(err)}\n`)
            process.exitCode = 1
            close()
          })
        })
      })
    })
}
