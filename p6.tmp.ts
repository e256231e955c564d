import { nd, gluon, autograd, lrScheduler } from 'gluonc';
const vals = (x: any) => Array.from(x.data() as ArrayLike<number>, Number);
function mk() {
  const d = new gluon.nn.Dense(2, { inUnits: 3 });
  d.initialize();
  d.weight.setData(nd.array([0.4, -0.3, 0.2, 0.1, 0.5, -0.6], { shape: [2, 3] }));
  d.bias!.setData(nd.array([0.05, -0.1]));
  d.bias!.lrMult = 0.5;
  return d;
}
const X = nd.array([0.5, -1, 2, 1.5, 0.25, -0.75], { shape: [2, 3] });
const Y = nd.array([1, -0.5, 0.25, 2], { shape: [2, 2] });
for (const [name, o] of [['rmsprop', { learningRate: 0.05, centered: true }], ['adam', { learningRate: 0.1, wd: 0.01 }], ['sgd', { learningRate: 0.1, momentum: 0.9 }]] as const) {
  for (const hybrid of [false, true]) {
    const make = () => { const d = mk(); const l = new gluon.loss.L2Loss(); if (hybrid) { d.hybridize(); l.hybridize(); } const t = new gluon.Trainer(d.collectParams(), name, { ...o, lrScheduler: new lrScheduler.CosineScheduler({ maxUpdate: 6, finalLr: 0.001, warmupSteps: 2 }) }); return { d, l, t }; };
    const run = (m: any, n: number) => { for (let i = 0; i < n; i++) { autograd.record(() => m.l.call(m.d.call(X), Y)).backward(); m.t.step(2); } };
    const whole = make(); run(whole, 6);
    const a = make(); run(a, 3); a.t.saveStates('/tmp/qa/s.states'); a.d.saveParameters('/tmp/qa/p.params');
    const b = make(); b.d.loadParameters('/tmp/qa/p.params'); b.t.loadStates('/tmp/qa/s.states'); run(b, 3);
    const same = JSON.stringify(vals(b.d.weight.data())) === JSON.stringify(vals(whole.d.weight.data())) && JSON.stringify(vals(b.d.bias!.data())) === JSON.stringify(vals(whole.d.bias!.data()));
    console.log(name, hybrid, same, vals(b.d.weight.data()).map((v, i) => v - vals(whole.d.weight.data())[i]!));
  }
}
