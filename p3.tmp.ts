import { nd, gluon, autograd } from 'gluonc';
const vals = (x: any) => Array.from(x.data() as ArrayLike<number>, Number);
function mk() {
  const d = new gluon.nn.Dense(1, { inUnits: 2 });
  d.initialize();
  d.weight.setData(nd.array([0.5, -0.5], { shape: [1, 2] }));
  d.bias.setData(nd.array([0]));
  return d;
}
// two losses, two backward calls inside one record
for (const req of ['write', 'add'] as const) for (const hybrid of [false, true]) {
  const d = mk();
  d.collectParams().setattr('gradReq', req);
  if (hybrid) d.hybridize();
  const tr = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 1 });
  const x1 = nd.array([1, 2], { shape: [1, 2] });
  const x2 = nd.array([10, 20], { shape: [1, 2] });
  const [l1, l2] = autograd.record(() => [d.call(x1), d.call(x2)]) as any;
  l1.backward();
  l2.backward();
  console.log('two backward', req, hybrid, vals(d.weight.grad()));
  tr.step(1);
  console.log('  w', vals(d.weight.data()));
}
// grad accumulation: two records+backward, one step
for (const hybrid of [false, true]) {
  const d = mk();
  d.collectParams().setattr('gradReq', 'add');
  if (hybrid) d.hybridize();
  const tr = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 1 });
  for (let s = 0; s < 2; s++) {
    autograd.record(() => d.call(nd.array([1, 2], { shape: [1, 2] }))).backward();
    autograd.record(() => d.call(nd.array([3, 5], { shape: [1, 2] }))).backward();
    tr.step(2);
    console.log('accum', hybrid, vals(d.weight.data()));
    d.collectParams().zeroGrad();
  }
}
// shared params: second dense shares first's params
for (const hybrid of [false, true]) {
  const a = mk();
  const net = new gluon.nn.HybridSequential();
  const b = new gluon.nn.Dense(1, { inUnits: 1 });
  b.initialize();
  b.weight.setData(nd.array([2], { shape: [1, 1] }));
  b.bias.setData(nd.array([0]));
  net.add(a, b);
  if (hybrid) net.hybridize();
  const tr = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  autograd.record(() => net.call(nd.array([1, 2], { shape: [1, 2] }))).backward();
  tr.step(1);
  console.log('seq', hybrid, vals(a.weight.data()), vals(b.weight.data()));
}
