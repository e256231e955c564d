/**
 * MXNet 1.x's `gluon.contrib.rnn`: `VariationalDropoutCell` and `LSTMPCell`
 * (the same classes as `gluon.rnn`'s, where MXNet 2 moved them).
 *
 * ```ts
 * const cell = new gluon.contrib.rnn.LSTMPCell(16, 4);
 * ```
 */
export { VariationalDropoutCell, type VariationalDropoutOptions } from './cell-modifiers.js';
export { LSTMPCell, type LSTMPCellOptions } from './lstmp-cell.js';
