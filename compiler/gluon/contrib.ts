/**
 * MXNet 1.x's `gluon.contrib`, as far as ported models use it: `contrib.nn`'s
 * `Concurrent`, `HybridConcurrent` and `Identity` (the same classes as
 * `gluon.nn`'s, where MXNet 2 moved them).
 *
 * ```ts
 * const paths = new gluon.contrib.nn.HybridConcurrent(1);
 * ```
 */
export * as nn from './nn/contrib-nn.js';
