/**
 * Child process for test/runtime/malloc-thresholds.test.ts (run with
 * `--expose-gc`): loads onnxruntime through runtime/ort.ts as every session
 * does, then repeats the pattern of the binding's output copies: twelve
 * 1 MiB buffers written to, dropped together, collected. Prints one JSON
 * line: the minor page faults of each round after the first.
 *
 * ```sh
 * node --expose-gc --import tsx test/helpers/malloc-pattern.ts
 * ```
 */
import { ortBinding } from '../../runtime/ort.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

ortBinding();
gc();
await settle();
const faults: number[] = [];
for (let round = 0; round < 6; round++) {
  const f0 = process.resourceUsage().minorPageFault;
  let held: Uint8Array[] | null = Array.from({ length: 12 }, () => new Uint8Array(2 ** 20));
  for (const b of held) for (let i = 0; i < b.length; i += 4096) b[i] = 1;
  if (round > 0) faults.push(process.resourceUsage().minorPageFault - f0);
  held = null;
  gc();
  await settle();
}
console.log(JSON.stringify({ faults }));
