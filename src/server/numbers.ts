/** A whole number of seconds (or requests) above zero, or a TypeError naming the option. */
export function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`createUploadHandler: ${name} must be a whole number above 0, got ${JSON.stringify(value) ?? String(value)}`)
  }
  return value
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }

/** Parses `90s`, `30m`, `24h`, `7d` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim())
  if (!m) throw new TypeError(`"${text}" is not a duration; use a number and s, m, h or d, e.g. 24h`)
  return Number(m[1]) * UNITS[m[2]]
}
