/**
 * MXNet 1.x's legacy `mx.rnn` namespace (python/mxnet/rnn/): the symbolic
 * cells unrolled over Symbols (rnn/sym-cell.ts, sym-cell-modifiers.ts,
 * sym-cell-fused.ts) and the bucketing data helpers
 * (data/bucket-sentence-iter.ts). Gluon's cells stay in `gluon.rnn`.
 */
export { RNNParams, BaseRNNCell, RNNCell, LSTMCell, GRUCell, SequentialRNNCell, type StateInfo, type BeginStateOptions, type SymUnrollOptions, type SymRNNCellOptions, type SymLSTMCellOptions, type SymGRUCellOptions, type WeightDict } from './rnn/sym-cell.js';
export { DropoutCell, ResidualCell, BidirectionalCell, ZoneoutCell } from './rnn/sym-cell-modifiers.js';
export { FusedRNNCell, type FusedRNNCellOptions } from './rnn/sym-cell-fused.js';
export { saveRnnCheckpoint, loadRnnCheckpoint, doRnnCheckpoint } from './rnn/sym-checkpoint.js';
export { encodeSentences, BucketSentenceIter, type EncodeOptions, type BucketSentenceIterOptions } from './data/bucket-sentence-iter.js';
