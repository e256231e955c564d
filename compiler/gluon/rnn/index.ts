/** The recurrent layers and cells of `gluon.rnn`. */
export { RNN, LSTM, GRU, RecurrentLayer, type RecurrentOptions, type RNNOptions } from './rnn-layer.js';
export { RNNCell, LSTMCell, GRUCell, RecurrentCell, type CellOptions, type RNNCellOptions, type UnrollOptions } from './rnn-cell.js';
export { HybridRecurrentCell, type StateInfo } from './cell-base.js';
export { SequentialRNNCell, HybridSequentialRNNCell, BidirectionalCell, type BidirectionalOptions } from './cell-containers.js';
export { DropoutCell, ModifierCell, ZoneoutCell, ResidualCell, VariationalDropoutCell, type DropoutCellOptions, type ZoneoutOptions, type VariationalDropoutOptions } from './cell-modifiers.js';
export { LSTMPCell, type LSTMPCellOptions } from './lstmp-cell.js';
