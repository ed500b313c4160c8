import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './consumer.js'

export const readme = readFileSync(join(root, 'README.md'), 'utf8')

/**
 * The README's code blocks marked `<!-- package-test: NAME -->`, by NAME: the packaging test compiles
 * them as they are written, so the README cannot drift from what compiles.
 */
export function readmeFiles(): Record<string, string> {
  const files: Record<string, string> = {}
  for (const m of readme.matchAll(/<!-- package-test: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) files[m[1]] = `${m[2]}\n`
  return files
}

/** Every Markdown link and image target in the README. */
export const readmeLinks = (): string[] => [...readme.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1])
