/**
 * The peak-memory reading of the benchmarks' child processes, in a module
 * of its own (no imports of gluonc): a child bundled to load the built
 * package (built-child.ts) takes it without the harness.
 */
import { readFileSync } from 'node:fs';

/**
 * This process's peak resident memory. Linux: `VmHWM` of /proc/self/status —
 * not `maxRSS`, which a child spawned from a large parent inherits (the
 * kernel carries the forked copy's high-water mark across exec).
 * Example: `peakRssBytes() / 2 ** 20` is the peak in MiB.
 */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
