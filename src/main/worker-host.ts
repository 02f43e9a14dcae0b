/**
 * The entry every worker utility process runs (built to out/main/worker-host.js). `tsx` comes first:
 * importing it registers its ESM and CommonJS hooks in this process (what `--import tsx` does for
 * forked workers), so the user's `.ts` modules load as they are; ES modules evaluate imports in
 * order, so the hooks are in place before host.ts runs, let alone loads a user module.
 */
import 'tsx'
import '../workers/host.ts'
