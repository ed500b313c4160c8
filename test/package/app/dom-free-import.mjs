// Imports one entry of the package in a plain Node process, as a server renderer does, and prints
// what it exports and which files read or wrote the browser-only globals while it loaded.
import { fileURLToPath } from 'node:url'

const spec = process.argv[2]
const self = fileURLToPath(import.meta.url)
const touches = []
const caller = () => {
  const frame = new Error().stack.split('\n').slice(2).find((l) => !l.includes(self) && /\(?(file:\/\/|\/)/.test(l))
  return frame?.match(/(?:file:\/\/)?(\/[^:)]+)/)?.[1] ?? 'unknown'
}
for (const name of ['window', 'document', 'navigator']) {
  if (name in globalThis) continue // Node 21+ has its own navigator
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get: () => void touches.push({ name, how: 'read', file: caller() }),
    set: () => void touches.push({ name, how: 'write', file: caller() }),
  })
}
const mod = await import(spec)
console.log(JSON.stringify({ exports: Object.keys(mod), touches, registered: Boolean(globalThis.customElements?.get?.('hoist-uploader')) }))
