/**
 * TfIdfVectorizer (integer pools) imported against ONNX's reference
 * implementation (`onnx.reference`, which counts with its n-gram trie, as
 * onnxruntime does) and onnxruntime (alone for IDF and TFIDF, which the reference evaluator does not
 * run without weights and runs with weights read by output position, not by
 * pool n-gram as the spec and onnxruntime read them): TF, IDF and TFIDF with and without
 * weights, unigrams and bigrams and trigrams, skips 0 to 3, minimum lengths
 * 1 and 2, a pool level left empty, rows shorter than an n-gram, 1-D and 2-D
 * int32/int64 inputs; eager and hybridized. Skipped, with a message, without
 * python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { foreignModel } from './foreign-model.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
pool = [2, 3, 5, 4,  5, 6, 7, 8, 6, 7, 2, 2,  5, 6, 7, 2, 3, 5]   # 4 unigrams, 4 bigrams, 2 trigrams
counts = [0, 4, 12]
cases = [
  dict(mode='TF', min_gram_length=1, max_gram_length=2, max_skip_count=0),
  dict(mode='TF', min_gram_length=2, max_gram_length=3, max_skip_count=3),
  dict(mode='TF', min_gram_length=1, max_gram_length=3, max_skip_count=2),
  dict(mode='IDF', min_gram_length=1, max_gram_length=2, max_skip_count=1),
  dict(mode='IDF', min_gram_length=1, max_gram_length=3, max_skip_count=1, weights=True),
  dict(mode='TFIDF', min_gram_length=1, max_gram_length=3, max_skip_count=2, weights=True),
  dict(mode='TFIDF', min_gram_length=2, max_gram_length=2, max_skip_count=0),
  dict(mode='TF', min_gram_length=2, max_gram_length=2, max_skip_count=1, level_empty=True),
]
k = 0
for case in cases:
  for shape, dt in (([3, 9], TensorProto.INT32), ([12], TensorProto.INT64), ([2, 2], TensorProto.INT64)):
    attrs = {kk: v for kk, v in case.items() if kk not in ('weights', 'level_empty')}
    if case.get('level_empty'):
      attrs.update(pool_int64s=pool[4:12], ngram_counts=[0, 0], ngram_indexes=[3, 0, 2, 1])
      n_out = 4
    else:
      # onnxruntime wants as many weights as ngram_indexes
      attrs.update(pool_int64s=pool, ngram_counts=counts, ngram_indexes=list(rs.permutation(10)))
      n_out = 10
    if case.get('weights'): attrs['weights'] = [float(w) for w in rs.uniform(0.5, 2, n_out).astype(np.float32)]
    x = rs.randint(2, 9, size=shape).astype(np.int32 if dt == TensorProto.INT32 else np.int64)
    node = helper.make_node('TfIdfVectorizer', ['x'], ['y'], **attrs)
    g = helper.make_graph([node], 'g', [helper.make_tensor_value_info('x', dt, shape)], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)], ir_version=8)
    d = f'{out}/case{k:02d}'
    os.makedirs(d)
    onnx.save(m, f'{d}/model.onnx')
    np.save(f'{d}/x.npy', x)
    got = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x})[0]
    if case['mode'] == 'TF' or not case.get('weights'):
      # the reference evaluator fails in IDF and TFIDF modes without weights, and with weights reads them by output
      # position where the spec says "the i-th element in weights is the weight of the i-th n-gram in pool", as
      # onnxruntime reads them: onnxruntime alone for those
      ref = ReferenceEvaluator(m).run(None, {'x': x})[0] if case['mode'] == 'TF' else got
    else:
      ref = got
    assert np.allclose(ref, got), (case, shape, ref, got)   # the two references agree
    np.save(f'{d}/y.npy', ref.astype(np.float64))
    k += 1
`;

describe('imported TfIdfVectorizer: ONNX\'s reference and onnxruntime', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('tfidf', ['onnx', 'onnxruntime'], SCRIPT);

  it('every mode, n-gram range and skip count, 1-D and 2-D, eager and hybridized', () => {
    const cases = readdirSync(fx.dir).sort();
    assert.equal(cases.length, 24);
    for (const k of cases) {
      const dir = join(fx.dir, k);
      const x = new nd.NDArray(readNpy(join(dir, 'x.npy')));
      const want = tensorToNumbers(readNpy(join(dir, 'y.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const y = net.call(x) as nd.NDArray;
        assert.equal(y.dtype, 'float32');
        assertClose(y.data() as Float32Array, want, `${k} ${hybrid ? 'hybridized' : 'eager'}`, 1e-6, 1e-6);
      }
    }
  });

  it('refuses string pools and pools that do not split into n-grams, by name', () => {
    const str = { name: 'pool_strings', type: 8, strings: [new TextEncoder().encode('a')] };
    const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
    const i = (name: string, v: number) => ({ name, type: 2, i: v });
    const model = (attribute: object[]) => foreignModel([{ opType: 'TfIdfVectorizer', input: ['x'], output: ['y'], name: 't', attribute: [{ name: 'mode', type: 3, s: new TextEncoder().encode('TF') }, i('min_gram_length', 1), i('max_gram_length', 2), i('max_skip_count', 0), ...attribute] }], [['x', [4]]], [['y', { dtype: 'float32' }]]);
    assert.throws(() => readModel(model([str, ints('ngram_counts', [0]), ints('ngram_indexes', [0])])), /ONNX operator 'TfIdfVectorizer' \(node 't'\) has no gluonc equivalent: pool_strings \(string tokens\)/);
    assert.throws(() => readModel(model([ints('pool_int64s', [1, 2, 3, 4]), ints('ngram_counts', [0, 1]), ints('ngram_indexes', [0, 1])])), /ONNX operator 'TfIdfVectorizer' \(node 't'\) has no gluonc equivalent: the pool's 3 entries of 2-grams do not split into n-grams/);
  });
});
