/** A whole number of seconds (or requests) above zero, or a TypeError naming the option. */
export function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`createUploadHandler: ${name} must be a whole number above 0, got ${JSON.stringify(value) ?? String(value)}`)
  }
  return value
}
