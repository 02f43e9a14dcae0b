export default async function echo(payload) {
  return { echoed: payload, by: 'mjs', node: process.versions.node }
}
