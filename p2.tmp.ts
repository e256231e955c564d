import { nd, gluon, autograd } from 'gluonc';
const vals = (x: any) => Array.from(x.data() as ArrayLike<number>, Number);
function mk() {
  const d = new gluon.nn.Dense(1, { inUnits: 2 });
  d.initialize();
  d.weight.setData(nd.array([0.5, -0.5], { shape: [1, 2] }));
  d.bias.setData(nd.array([0]));
  return d;
}
// update() split after a hybridized backward
for (const hybrid of [false, true]) {
  const d = mk();
  if (hybrid) d.hybridize();
  const tr = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 1 });
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    try {
      const x = nd.array([1 + i, 2], { shape: [1, 2] });
      autograd.record(() => d.call(x)).backward();
      tr.allreduceGrads();
      tr.update(1);
      out.push(vals(d.weight.data()));
    } catch (e) { out.push([NaN]); console.log('err', hybrid, (e as Error).message); }
  }
  console.log('split', hybrid, JSON.stringify(out));
}
// two nets, one trainer, second step uses only A
for (const hybrid of [false, true]) {
  const a = mk(), b = mk();
  if (hybrid) { a.hybridize(); b.hybridize(); }
  const params = new gluon.ParameterDict([...a.collectParams().entries().map(([k, p]) => ['a' + k, p]), ...b.collectParams().entries().map(([k, p]) => ['b' + k, p])] as any);
  const tr = new gluon.Trainer(params, 'sgd', { learningRate: 1 });
  const x = nd.array([1, 2], { shape: [1, 2] });
  autograd.record(() => a.call(x).add(b.call(x))).backward();
  tr.step(1);
  console.log('after1', hybrid, vals(a.weight.data()), vals(b.weight.data()));
  const x2 = nd.array([3, 1], { shape: [1, 2] });
  try {
    autograd.record(() => a.call(x2)).backward();
    tr.step(1, { ignoreStaleGrad: true });
  } catch (e) { console.log('err', (e as Error).message); }
  console.log('after2', hybrid, vals(a.weight.data()), vals(b.weight.data()));
}
