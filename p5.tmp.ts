import { nd, gluon, optimizer, lrScheduler } from 'gluonc';
const p = new gluon.Parameter('w', { shape: [1] }); p.setData(nd.array([1])); p.setGrad(nd.array([1]));
const t = new gluon.Trainer([p], 'sgd');
const tries: [string, () => unknown][] = [
  ['lr NaN', () => optimizer.create('sgd', { learningRate: NaN })],
  ['lr Inf', () => optimizer.create('sgd', { learningRate: Infinity })],
  ['lr str', () => optimizer.create('sgd', { learningRate: '0.1' })],
  ['wd NaN', () => optimizer.create('sgd', { wd: NaN })],
  ['clip NaN', () => optimizer.create('sgd', { clipGradient: NaN })],
  ['clip Inf', () => optimizer.create('sgd', { clipGradient: Infinity })],
  ['setLR NaN', () => t.setLearningRate(NaN)],
  ['setLR Inf', () => t.setLearningRate(Infinity)],
  ['bs NaN', () => t.step(NaN)],
  ['bs -1', () => t.step(-1)],
  ['bs Inf', () => t.step(Infinity)],
  ['bs str', () => t.step('4' as never)],
  ['sched', () => optimizer.create('sgd', { lrScheduler: 3 })],
  ['sched step NaN', () => new lrScheduler.FactorScheduler({ step: NaN })],
  ['sched baseLr NaN', () => new lrScheduler.FactorScheduler({ step: 2, baseLr: NaN })],
  ['opt null', () => new gluon.Trainer([p], 'sgd', null as never)],
  ['upd -1', () => t.update(-1)],
  ['eps 0', () => optimizer.create('adam', { epsilon: 0 })],
  ['centered str', () => optimizer.create('rmsprop', { centered: 'yes' })],
  ['nag momentum', () => optimizer.create('nag', { learningRate: 0.1 })],
  ['nag nesterov false', () => optimizer.create('nag', { nesterov: false })],
];
for (const [n, f] of tries) { try { const r = f(); console.log(n, 'OK', r && (r as any).hyper); } catch (e) { console.log(n, '->', (e as Error).message); } }
