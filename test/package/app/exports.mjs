// Resolves every subpath the package exports, as Node resolves an import, and prints where each
// one and its `types` land.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const pkgFile = createRequire(import.meta.url).resolve('hoist-uploader/package.json')
const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
const results = Object.entries(pkg.exports).map(([key, target]) => {
  const spec = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`
  const file = fileURLToPath(import.meta.resolve(spec))
  const types = typeof target === 'object' && target.types ? join(dirname(pkgFile), target.types) : undefined
  return { spec, file, exists: existsSync(file), types, typesExist: types === undefined || existsSync(types) }
})
console.log(JSON.stringify(results))
