/**
 * MXNet 1.x's `gluon.contrib`, as far as ported models use it: `contrib.nn`'s
 * `Concurrent`, `HybridConcurrent` and `Identity`, `contrib.rnn`'s
 * `VariationalDropoutCell` and `LSTMPCell` (the same classes as
 * `gluon.nn`'s and `gluon.rnn`'s, where MXNet 2 moved them),
 * `contrib.estimator` (the Estimator with its event handlers) and
 * `contrib.cnn.DeformableConvolution` and `ModulatedDeformableConvolution`
 * (deformable convolution v1 and v2).
 *
 * ```ts
 * const paths = new gluon.contrib.nn.HybridConcurrent(1);
 * ```
 */
export * as nn from './nn/contrib-nn.js';
export * as rnn from './rnn/contrib-rnn.js';
export * as cnn from './nn/contrib-cnn.js';
export * as estimator from './estimator/index.js';
