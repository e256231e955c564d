import assert from 'node:assert/strict';
import { autograd, nd, np } from 'gluonc';
import { optionKeys } from '../../../runtime/check-options.js';
import type { ArrayOptions } from '../../../compiler/engine/ndarray.js';

type O = Record<string, unknown>;
const dtypeOnly = ['dtype'];
// The creation functions and how to call them with an options object `o`; the keys they document.
const CASES: [name: string, call: (o: O) => unknown, keys: readonly string[]][] = [
  ['nd.zeros', (o) => nd.zeros([2], o), dtypeOnly],
  ['nd.ones', (o) => nd.ones([2], o), dtypeOnly],
  ['nd.full', (o) => nd.full([2], 1, o), dtypeOnly],
  ['nd.arange', (o) => nd.arange(0, 3, 1, o), dtypeOnly],
  ['nd.array', (o) => nd.array([1, 2], o), optionKeys<ArrayOptions>({ dtype: true, shape: true })],
  ['nd.random.uniform', (o) => nd.random.uniform(0, 1, [2], o), ['low', 'high', 'shape', 'dtype']],
  ['nd.random.normal', (o) => nd.random.normal(0, 1, [2], o), ['loc', 'scale', 'shape', 'dtype']],
  ['nd.random.randint', (o) => nd.random.randint(0, 3, [2], o), ['low', 'high', 'shape', 'dtype']],
  // np's creation functions are nd's (np.arange is nd.arange, named so in its errors).
  ['nd.arange', (o) => np.arange(0, 3, 1, o), dtypeOnly],
  ['np.unique', (o) => np.unique(np.array([1, 1, 2]), o), ['returnIndex', 'returnInverse', 'returnCounts', 'axis']],
  ['np.squeeze', (o) => np.squeeze(np.ones([1, 2]), o), ['axis']],
  ['np.concatenate', (o) => np.concatenate([np.ones([2]), np.ones([2])], o), ['axis']],
  ['np.stack', (o) => np.stack([np.ones([2]), np.ones([2])], o), ['axis']],
  ['np.split', (o) => np.split(np.ones([2]), 2, o), ['axis']],
  ['np.take', (o) => np.take(np.ones([2]), np.array([0], { dtype: 'int64' }), o), ['axis', 'mode']],
  ['np.random.randint', (o) => np.random.randint(0, 3, [2], o), ['low', 'high', 'size', 'dtype']],
  ['np.random.uniform', (o) => np.random.uniform(0, 1, [2], o), ['low', 'high', 'size', 'dtype']],
  ['np.random.normal', (o) => np.random.normal(0, 1, [2], o), ['loc', 'scale', 'size', 'dtype']],
  ['autograd.record', (o) => autograd.record(() => 1, o), ['trainMode']],
  ['autograd.pause', (o) => autograd.pause(() => 1, o), ['trainMode']],
  ['backward', (o) => nd.ones([1]).backward(undefined, o), ['retainGraph', 'trainMode']],
  ['autograd.backward', (o) => autograd.backward([nd.ones([1]), nd.ones([1])], [], o), ['retainGraph']],
  ['autograd.grad', (o) => autograd.grad([nd.ones([1])], [nd.ones([1])], o), ['headGrads', 'createGraph', 'retainGraph']],
];

describe('creation functions and operators: an unknown option is refused by name, with the nearest accepted key', () => {
  for (const [name, call, keys] of CASES) {
    it(`${name}: { bogusKey } refused, { dtyp } suggested, documented keys accepted`, () => {
      assert.throws(() => call({ bogusKey: 1 }), new RegExp(`^Error: ${name.replace(/\./g, '\\.')}: unknown option 'bogusKey' \\(valid: ${keys.join(', ')}\\)$`));
      const near = `${keys[0]!.slice(0, -1)}`;
      assert.throws(() => call({ [near]: 1 }), new RegExp(`unknown option '${near}' .*; did you mean '${keys[0]}'\\?$`));
      for (const k of keys) {
        try {
          call({ [k]: undefined });
        } catch (e) {
          assert.doesNotMatch((e as Error).message, /unknown option/, `${name}: documented option '${k}' refused`);
        }
      }
    });
  }

  it('an arange with a dtype name works as the other creation functions (MXNet positional dtype)', () => {
    const a = nd.arange(0, 3, 1, 'int32');
    assert.equal(a.dtype, 'int32');
    assert.deepEqual(a.toArray(), [0, 1, 2]);
  });

  it('an operator option: OpError with the same message and suggestion', () => {
    const x = nd.array([3, 1, 2]);
    assert.throws(() => nd.topk(x, { kk: 1 } as never), /^OpError: topk: unknown option 'kk' \(valid: axis, k, retTyp, isAscend, dtype\); did you mean 'k'\?$/);
    assert.throws(() => x.sum({ keepdim: true } as never), /sum: unknown option 'keepdim' .*did you mean 'keepdims'\?$/);
  });
});
