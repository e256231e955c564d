/**
 * Raises glibc malloc's dynamic mmap and trim thresholds once per process,
 * before the first onnxruntime session (runtime/ort.ts calls it).
 *
 * onnxruntime-node copies every output into a fresh buffer, which V8 frees
 * later in bulk. With glibc's defaults the freed top of the heap goes back
 * to the system whenever more than twice the largest freed mmapped block
 * (at first 2 × 128 KiB) is free, and the next outputs fault every page in
 * again. glibc raises both thresholds by itself when a mmapped block is
 * freed (`free()`: mmap threshold = the block's size, trim threshold =
 * twice it, for blocks up to 32 MiB on 64-bit systems), so allocating and
 * dropping one MALLOC_RAISE_BYTES block sets them to 8 and 16 MiB. Measured
 * on the MNIST MLP's fused training step (test/bench/step-overhead.ts's
 * loop, 1,500 steps after 300 of warm-up, 8 processes each):
 * 0.6–3.5 minor page faults per step instead of 1.1–28.
 *
 * The block is calloc'd address space whose pages are never touched, so it
 * costs microseconds; V8 frees it at its next collection. The price is that
 * up to 16 MiB of freed memory can stay resident and blocks up to 8 MiB
 * come from the heap instead of their own mappings. Other C libraries
 * (musl, macOS, Windows) map and unmap the block and are unaffected.
 * `GLUONC_MALLOC_THRESHOLDS=0` keeps glibc's defaults; thresholds fixed by
 * `GLIBC_TUNABLES` or `mallopt` are never changed by it (glibc turns the
 * dynamic adjustment off for them).
 *
 * ```ts
 * raiseMallocThresholds(); // once; later calls do nothing
 * ```
 */
import { isMainThread } from 'node:worker_threads';

/**
 * Bytes of the dropped block: mmap threshold 8 MiB, trim threshold 16 MiB.
 * Measured on the MLP step loop (1,500 steps after 300, one process each):
 * 4 MiB left 20 faults per step in one process of two; 8 and 12 MiB gave
 * 0.5–3.5 with the peak RSS of glibc's defaults (191–219 MiB against
 * 188–217), 16 MiB 0.8–2.8 with one peak of 268 MiB in 5 processes; 31 MiB
 * (the most glibc adjusts to) gave 4.2–4.6 faults and a 264–266 MiB peak in
 * 3 processes of 6.
 */
export const MALLOC_RAISE_BYTES = 8 * 2 ** 20;

let done = false;

/** Allocates and drops one MALLOC_RAISE_BYTES block, once per process (main thread only; workers share the process's malloc); returns whether it did now. */
export function raiseMallocThresholds(): boolean {
  if (done || !isMainThread) return false;
  done = true;
  if (process.env['GLUONC_MALLOC_THRESHOLDS'] === '0') return false;
  // An ArrayBuffer's memory comes from calloc; untouched, it costs no pages.
  void new ArrayBuffer(MALLOC_RAISE_BYTES);
  return true;
}
