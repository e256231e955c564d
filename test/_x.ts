import { autograd, init, nd, random } from 'gluonc';
import { bertHparams, bertModel } from '../models/bert/bert.js';
random.seed(1);
const bert = bertModel({ ...bertHparams.tiny }, { useClassifier: true, useDecoder: true });
bert.initialize(new init.Normal(0.3));
console.log(bert.collectParams().keys().filter((k) => !k.startsWith('encoder')));
const ids = nd.array([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: 'int32' });
const types = nd.zeros([2, 4], { dtype: 'int32' });
const vl = nd.array([4, 2], { dtype: 'int32' });
const mp = nd.array([[0, 3, 3], [1, 0, 2]], { dtype: 'int32' });
for (const h of [false, true]) {
  if (h) bert.hybridize();
  const outs = bert.call(ids, types, vl, mp) as nd.NDArray[];
  console.log(outs.map((o) => o.shape));
  const o2 = bert.call(ids, types, null, mp) as nd.NDArray[];
  console.log(o2.map((o) => o.shape));
  const l = autograd.record(() => (bert.call(ids, types, vl, mp) as nd.NDArray[])[3]!.sum()) as nd.NDArray;
  l.backward();
  console.log(bert.word_embed.get<any>(0).weight.grad().abs().sum().toArray());
  const e = nd.array([[], []] as any, { dtype: 'int32' });
  try { console.log((bert.call(ids, types, vl, nd.zeros([2, 0], { dtype: 'int32' })) as nd.NDArray[])[3]!.shape); } catch (err) { console.log('M=0', (err as Error).message); }
}
