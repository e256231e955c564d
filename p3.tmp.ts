import { nd, gluon } from 'gluonc';
const w = process.argv[2];
if (w === 'dense') { const d = new gluon.nn.Dense(3, { inUnits: 2 }); d.initialize(); d.hybridize(); console.log((d.call(nd.ones([0, 2])) as any).shape); }
if (w === 'lstm-eager-op') { const F: any = nd; 
  const y = F.OnnxLSTM(nd.ones([5,0,2]), nd.ones([1,16,2]), nd.ones([1,16,4]), nd.ones([1,32]), nd.zeros([1,0,4]), nd.zeros([1,0,4]), {direction:'forward'}); console.log(y[0].shape); }
