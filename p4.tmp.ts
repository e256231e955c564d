import { nd, gluon } from 'gluonc';
const l = new gluon.rnn.LSTM(4, 1, { layout: 'NTC', inputSize: 2 });
l.initialize(); l.hybridize();
l.call(nd.ones([3, 5, 2]));
l.export('/tmp/qarnn/lstm.onnx', { inputs: { data: { shape: ['N', 'T', 2], dtype: 'float32' } } });
