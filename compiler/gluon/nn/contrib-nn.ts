/** The layers of MXNet 1.x's `gluon.contrib.nn` that gluonc has (also in `gluon.nn`). */
export { Concurrent, HybridConcurrent, Identity, type ConcurrentOptions } from './concurrent.js';
export { PixelShuffle1D, PixelShuffle2D, PixelShuffle3D } from './pixel-shuffle.js';
