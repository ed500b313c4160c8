import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Debian's Chromium, or `CHROME_PATH`; fails with what to install when neither is there. */
export function chromePath(): string {
  const path = process.env.CHROME_PATH || '/usr/bin/chromium'
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}. Install it (apt-get install chromium) or set CHROME_PATH to a Chrome/Chromium binary.`)
  }
  return path
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromePath(), args: CHROME_ARGS, headless: true })
}
