/** The recurrent layers of `gluon.rnn`. */
export { RNN, LSTM, GRU, RecurrentLayer, type RecurrentOptions, type RNNOptions } from './rnn-layer.js';
export { RNNCell, LSTMCell, GRUCell, RecurrentCell, type CellOptions, type RNNCellOptions, type UnrollOptions } from './rnn-cell.js';
