/** Entry point of `swarmage …` (bin/swarmage.js imports the compiled dist/cli/main.js; scripts/dev-cli.js runs this file through tsx); the program is in program.ts. */
import { EXIT_RUNTIME } from './errors.ts'
import { report, run } from './program.ts'

// A failure outside a command's own promise chain (a timer, an event handler) still ends as one line.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    report(err)
    process.exit(EXIT_RUNTIME)
  })
}

const code = await run(process.argv)
process.exitCode = code
// Database pools or worker handles left open by a failure must not keep a finished command alive;
// the timer is unref'd, so a clean exit does not wait for it.
setTimeout(() => process.exit(code), 1_500).unref()
