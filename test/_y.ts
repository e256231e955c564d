import { gluon, nd } from 'gluonc';
const d = new gluon.nn.Dense(5, { flatten: false, inUnits: 4 });
d.initialize();
d.hybridize();
try { console.log((d.call(nd.zeros([2,0,4])) as nd.NDArray).shape); } catch (e) { console.log((e as Error).message); }
