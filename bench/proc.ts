// What a process costs, read from /proc (Linux): the load run's instances, the signing run's endpoint.
import { readFileSync } from 'node:fs'

const KiB = 1024

/** Resident and peak resident memory of a process, and the CPU seconds it has used, from /proc. */
export function usage(pid: number): { rss: number; peak: number; cpu: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * KiB
    // utime and stime, in clock ticks (100 a second on Linux), follow the command name in parentheses.
    const [utime, stime] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).map(Number)
    return { rss: kb('VmRSS'), peak: kb('VmHWM'), cpu: (utime + stime) / 100 }
  } catch {
    return undefined
  }
}
