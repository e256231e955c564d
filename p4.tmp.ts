import { nd, gluon, autograd, optimizer, exportTrainingStep } from 'gluonc';
import { Session, tensorFromNumbers, tensorToNumbers } from 'gluonc/runtime';
const vals = (x: any) => Array.from(x.data() as ArrayLike<number>, Number);
function mk(dtype: any = 'float32') {
  const d = new gluon.nn.Dense(2, { inUnits: 3, dtype });
  d.initialize();
  d.weight.setData(nd.array([0.4, -0.3, 0.2, 0.1, 0.5, -0.6], { shape: [2, 3], dtype }));
  d.bias!.setData(nd.array([0.05, -0.1], { dtype }));
  return d;
}
const X = nd.array([0.5, -1, 2, 1.5, 0.25, -0.75], { shape: [2, 3] });
const Y = nd.array([1, -0.5, 0.25, 2], { shape: [2, 2] });
// frozen / unfrozen
for (const hybrid of [false, true]) {
  const d = mk();
  const loss = new gluon.loss.L2Loss();
  if (hybrid) { d.hybridize(); loss.hybridize(); }
  const tr = new gluon.Trainer(d.collectParams(), 'adam', { learningRate: 0.1 });
  for (let s = 0; s < 5; s++) {
    d.bias!.gradReq = s >= 1 && s <= 2 ? 'null' : 'write';
    autograd.record(() => loss.call(d.call(X), Y)).backward();
    tr.step(2);
  }
  console.log('frozen', hybrid, vals(d.weight.data()).map(v=>v.toFixed(6)).join(','), vals(d.bias!.data()).map(v=>v.toFixed(6)).join(','), tr.counts.get(d.bias!), tr.counts.get(d.weight));
}
// artifact float64 with adam, lrMult
{
  const d = mk('float64');
  d.bias!.lrMult = 0.5;
  const { bytes, manifest } = exportTrainingStep(d, { inputs: { x: { shape: ['N', 3], dtype: 'float64' } }, loss: (o) => ({ loss: new gluon.loss.L2Loss(), label: { shape: o, dtype: 'float64' } }), optimizer: optimizer.create('adam', { learningRate: 0.1, wd: 0.01 }) });
  console.log(manifest.inputs.map((i) => `${i.name}:${i.dtype}`).join(' '));
  const d2 = mk('float64'); d2.bias!.lrMult = 0.5;
  const loss = new gluon.loss.L2Loss();
  const tr = new gluon.Trainer(d2.collectParams(), 'adam', { learningRate: 0.1, wd: 0.01 });
  const s = Session.create(bytes);
  const feeds: any = { x: tensorFromNumbers('float64', [2, 3], vals(X)), label: tensorFromNumbers('float64', [2, 2], vals(Y)), weight: d.weight.data()._host, bias: d.bias!.data()._host,
    'weight.state0': tensorFromNumbers('float64', [2,3], [0,0,0,0,0,0]), 'weight.state1': tensorFromNumbers('float64', [2,3], [0,0,0,0,0,0]), 'bias.state0': tensorFromNumbers('float64', [2], [0,0]), 'bias.state1': tensorFromNumbers('float64', [2], [0,0]) };
  for (let t = 1; t <= 3; t++) {
    feeds.lr = tensorFromNumbers('float32', [], [0.1]); feeds.t = tensorFromNumbers('float32', [], [t]);
    const r = s.runSync(feeds);
    for (const k of ['weight', 'bias', 'weight.state0', 'weight.state1', 'bias.state0', 'bias.state1']) feeds[k] = r[k + '.new'];
    autograd.record(() => loss.call(d2.call(X.astype('float64')), Y.astype('float64'))).backward();
    tr.step(2);
  }
  console.log('art f64', tensorToNumbers(feeds.weight), tensorToNumbers(feeds.bias));
  console.log('trn f64', vals(d2.weight.data()), vals(d2.bias!.data()));
}
