/** The layers of `gluon.nn`. */
export { Dense, type DenseOptions } from './dense.js';
export { Sequential, HybridSequential } from './sequential.js';
