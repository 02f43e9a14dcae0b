import { defineWorker } from 'swarmage'

interface ShoutPayload { text: string }

export default defineWorker({
  async run(payload: ShoutPayload, ctx) {
    ctx.log.info('shouting', { text: payload.text })
    const loud: string = payload.text.toUpperCase()
    return { loud, by: 'ts', node: process.versions.node }
  },
})
