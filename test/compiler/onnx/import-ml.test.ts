/**
 * ONNX's ai.onnx.ml operators imported (compiler/onnx/import/ml.ts,
 * ml-trees.ts) against onnxruntime 1.30, which implements every one of them:
 * random tree ensembles (TreeEnsembleRegressor and TreeEnsembleClassifier of
 * ml opset 3, TreeEnsemble of ml opset 5; 1 to 5 trees of depth 1 to 4 over
 * 2 to 5 features, every branch mode and set membership, node ids shuffled
 * within a tree, inputs on the thresholds' grid so that ties are frequent,
 * 10% NaN with missing-value tracks both ways; SUM/AVERAGE/MIN/MAX, base
 * values, every post transform, the `_as_tensor` forms, float64 and int64
 * inputs, multiclass and the binary forms of skl2onnx, LightGBM and XGBoost;
 * a float64 input compared in float64; a 60-tree ensemble of depth 6),
 * SVMRegressor and SVMClassifier (every kernel, one_class, one-vs-one votes,
 * two to four classes, the linear form without support vectors; probability
 * estimates and SVMClassifier's linear form: import-ml-svm.test.ts),
 * plus Binarizer, ArrayFeatureExtractor, Scaler, Normalizer, Imputer,
 * FeatureVectorizer, OneHotEncoder, numeric LabelEncoder (opsets 2 and 4),
 * LinearRegressor and LinearClassifier, eager and hybridized; one split at
 * exactly its threshold for each mode, checked against the spec's comparison
 * by hand as well; the gradient of the leaf weights (a parameter) and of an
 * SVR's coefficients against
 * onnxruntime's outputs with the weights moved (exact for SUM and AVERAGE,
 * which are linear in them; central differences through SOFTMAX) and one SGD
 * step; and the refusals (ZipMap, string labels and values, forms where
 * onnxruntime and ONNX's spec part). Skipped without python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rs = np.random.RandomState(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
GRID = np.array([-1.5, -1, -0.5, 0, 0.5, 1, 1.5], np.float32)
MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ']
cases = []

def sample_x(n, f, nan=0.1):
    # values on the thresholds' grid (ties at every threshold), some between, some NaN
    x = rs.choice(GRID, size=(n, f)).astype(np.float32)
    x[rs.rand(n, f) < 0.2] += np.float32(0.25)
    x[rs.rand(n, f) < nan] = np.nan
    return x

def random_forest(n_trees, max_depth, n_feat, modes=MODES, shuffle_ids=True):
    """Legacy listing: per node (tree, id, feature, mode, value, true id, false id, track); leaves listed too."""
    nodes, leaves = [], []
    for t in range(n_trees):
        ids = list(rs.permutation(4 * 2 ** max_depth)) if shuffle_ids else list(range(4 * 2 ** max_depth))
        def build(depth):
            nid = int(ids.pop(0))
            if depth >= max_depth or (depth > 0 and rs.rand() < 0.25):
                nodes.append(dict(tree=t, id=nid, feature=0, mode='LEAF', value=0.0, true=0, false=0, track=0))
                leaves.append((t, nid))
                return nid
            me = dict(tree=t, id=nid, feature=int(rs.randint(n_feat)), mode=str(rs.choice(modes)), value=float(rs.choice(GRID)), track=int(rs.rand() < 0.5))
            nodes.append(me)
            me['true'] = build(depth + 1)
            me['false'] = build(depth + 1)
            return nid
        start = len(nodes)
        build(0)
        # node ids: a permutation of 0 .. count-1 within the tree (onnxruntime wants ids below the node count)
        mine = nodes[start:]
        perm = rs.permutation(len(mine)) if shuffle_ids else np.arange(len(mine))
        remap = {n['id']: int(perm[i]) for i, n in enumerate(mine)}
        for n in mine:
            n['id'] = remap[n['id']]
            if n['mode'] != 'LEAF': n['true'], n['false'] = remap[n['true']], remap[n['false']]
        leaves[:] = [(tt, remap[i]) if tt == t else (tt, i) for tt, i in leaves]
    return nodes, leaves

def legacy_attrs(nodes, tensor_values=False):
    a = dict(nodes_treeids=[n['tree'] for n in nodes], nodes_nodeids=[n['id'] for n in nodes], nodes_featureids=[n['feature'] for n in nodes],
             nodes_modes=[n['mode'] for n in nodes], nodes_truenodeids=[n['true'] for n in nodes], nodes_falsenodeids=[n['false'] for n in nodes],
             nodes_missing_value_tracks_true=[n['track'] for n in nodes])
    vals = [n['value'] for n in nodes]
    if tensor_values: a['nodes_values_as_tensor'] = helper.make_tensor('nodes_values_as_tensor', TensorProto.FLOAT, [len(vals)], vals)
    else: a['nodes_values'] = vals
    a['nodes_hitrates'] = [1.0] * len(nodes)
    return a

def save(name, nodes_, inputs, outputs, feeds, ml_opset, ref_nodes=None):
    mk = lambda ns: helper.make_model(helper.make_graph(ns, name, inputs, outputs), opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('ai.onnx.ml', ml_opset)], ir_version=8)
    m = mk(nodes_)
    d = f'{out}/{name}'
    os.makedirs(d)
    onnx.save(m, f'{d}/model.onnx')
    sess = ort.InferenceSession(mk(ref_nodes or nodes_).SerializeToString(), providers=['CPUExecutionProvider'])
    got = sess.run(None, feeds)
    for k, v in feeds.items(): np.save(f'{d}/in_{k}.npy', v)
    for i, v in enumerate(got): np.save(f'{d}/out{i}.npy', v)
    cases.append(dict(name=name, inputs=list(feeds), outputs=len(got)))

def vi(name, dt, shape): return helper.make_tensor_value_info(name, dt, shape)

# --- TreeEnsembleRegressor: aggregates, targets, base values, post transforms, _as_tensor forms
k = 0
for agg in ['SUM', 'AVERAGE', 'MIN', 'MAX']:
    for n_targets, post, base, tens in [(1, 'NONE', False, False), (3, 'NONE', True, False), (3, 'SOFTMAX', False, True), (2, 'LOGISTIC', True, False), (3, 'SOFTMAX_ZERO', False, False), (1, 'PROBIT', False, False)]:
        nf = int(rs.randint(2, 6))
        nodes, leaves = random_forest(int(rs.randint(1, 6)), int(rs.randint(1, 5)), nf)
        a = legacy_attrs(nodes, tensor_values=tens and agg == 'SUM')
        tt, tn, ti, tw = [], [], [], []
        for (t, nid) in leaves:
            for tg in range(n_targets):
                if n_targets > 1 and rs.rand() < 0.2: continue   # some leaves without a weight for a target
                for _ in range(1):
                    tt.append(t); tn.append(nid); ti.append(tg)
                    tw.append(float(np.float32(rs.uniform(0.05, 0.45) if post == 'PROBIT' else rs.randn())))
        a.update(target_treeids=tt, target_nodeids=tn, target_ids=ti, n_targets=n_targets, aggregate_function=agg, post_transform=post)
        if tens: a['target_weights_as_tensor'] = helper.make_tensor('target_weights_as_tensor', TensorProto.FLOAT, [len(tw)], tw)
        else: a['target_weights'] = tw
        if base: a['base_values'] = [float(v) for v in rs.randn(n_targets).astype(np.float32)]
        node = helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **a)
        x = sample_x(int(rs.randint(5, 40)), nf)
        save(f'reg{k:02d}_{agg}_{n_targets}_{post}', [node], [vi('x', TensorProto.FLOAT, [None, nf])], [vi('y', TensorProto.FLOAT, None)], {'x': x}, 3)
        k += 1

# --- TreeEnsembleClassifier: multiclass, binary (weights for class 0: LightGBM/XGBoost style), int64 input
for ci, (C, post, base, kind, xdt) in enumerate([(3, 'NONE', False, 'dense', 'f'), (4, 'SOFTMAX', True, 'dense', 'f'), (3, 'LOGISTIC', False, 'sparse', 'f'), (3, 'SOFTMAX_ZERO', True, 'sparse', 'f'),
                                                 (2, 'LOGISTIC', False, 'binary', 'f'), (2, 'LOGISTIC', True, 'binary', 'f'), (2, 'NONE', False, 'binary_pos', 'f'), (2, 'NONE', False, 'binary', 'f'), (3, 'NONE', False, 'dense', 'i'),
                                                 (2, 'LOGISTIC', False, 'binary_pos', 'f'), (2, 'SOFTMAX', True, 'binary', 'f'), (2, 'SOFTMAX_ZERO', False, 'binary_pos', 'f'),
                                                 (3, 'PROBIT', False, 'dense', 'f'),
                                                 (2, 'SOFTMAX', False, 'binary1', 'f'), (2, 'NONE', False, 'binary1', 'f'), (2, 'LOGISTIC', False, 'binary1_pos', 'f'), (2, 'PROBIT', False, 'binary1_pos', 'f')]):
    nf = int(rs.randint(2, 5))
    nodes, leaves = random_forest(int(rs.randint(2, 6)), int(rs.randint(1, 5)), nf, modes=MODES if xdt == 'f' else ['BRANCH_LEQ', 'BRANCH_GT', 'BRANCH_EQ'])
    a = legacy_attrs(nodes)
    ct, cn, cid, cw = [], [], [], []
    for (t, nid) in leaves:
        for c in range(C if kind in ('dense', 'sparse') else 1):
            if kind == 'sparse' and rs.rand() < 0.3: continue
            ct.append(t); cn.append(nid); cid.append(1 if kind.startswith('binary1') else c)   # binary1: weights for the second class only
            cw.append(float(np.float32(rs.uniform(0, 0.3) if kind in ('binary_pos', 'binary1_pos') else rs.randn())))
    labels = [int(v) for v in rs.choice(100, C, replace=False)]
    a.update(class_treeids=ct, class_nodeids=cn, class_ids=cid, class_weights=cw, classlabels_int64s=labels, post_transform=post)
    if base: a['base_values'] = [float(v) for v in rs.randn(C if kind != 'binary' else 1).astype(np.float32)]
    node = helper.make_node('TreeEnsembleClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', **a)
    x = sample_x(int(rs.randint(5, 40)), nf, nan=0.1 if xdt == 'f' else 0)
    if xdt == 'i':
        x = np.nan_to_num(np.round(x)).astype(np.int64)
    save(f'cls{ci:02d}_{C}_{post}_{kind}', [node], [vi('x', TensorProto.FLOAT if xdt == 'f' else TensorProto.INT64, [None, nf])], [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)], {'x': x}, 3)

# --- TreeEnsemble (ml opset 5): the legacy forests rewritten, set membership, float64
def to_v5(nodes, leaves_w, n_targets, agg, post, dt, member=False):
    inner = [n for n in nodes if n['mode'] != 'LEAF']
    idx = {(n['tree'], n['id']): i for i, n in enumerate(inner)}
    leaf_list = [n for n in nodes if n['mode'] == 'LEAF']
    lidx = {(n['tree'], n['id']): j for j, n in enumerate(leaf_list)}
    def ref(n, which):
        key = (n['tree'], n[which])
        return (lidx[key], 1) if key in lidx else (idx[key], 0)
    modes = [MODES.index(n['mode']) for n in inner]
    members = []
    if member:
        for i, n in enumerate(inner):
            if rs.rand() < 0.4:
                modes[i] = 6
                members += [float(v) for v in rs.choice([0, 1, 2, 3], rs.randint(1, 4), replace=False)] + [np.nan]   # onnxruntime maps integer members only
    roots = []
    for n in nodes:
        if n['tree'] not in [nodes[r]['tree'] for r in roots]: roots.append(nodes.index(n))
    npdt = np.float32 if dt == TensorProto.FLOAT else np.float64
    a = dict(nodes_featureids=[n['feature'] for n in inner], nodes_truenodeids=[ref(n, 'true')[0] for n in inner], nodes_trueleafs=[ref(n, 'true')[1] for n in inner],
             nodes_falsenodeids=[ref(n, 'false')[0] for n in inner], nodes_falseleafs=[ref(n, 'false')[1] for n in inner],
             nodes_splits=numpy_helper.from_array(np.array([n['value'] for n in inner], npdt), 'nodes_splits'),
             nodes_modes=numpy_helper.from_array(np.array(modes, np.uint8), 'nodes_modes'),
             nodes_missing_value_tracks_true=[n['track'] for n in inner],
             tree_roots=[idx[(nodes[r]['tree'], nodes[r]['id'])] for r in roots],
             leaf_targetids=[int(rs.randint(n_targets)) for _ in leaf_list],
             leaf_weights=numpy_helper.from_array(rs.randn(len(leaf_list)).astype(npdt), 'leaf_weights'),
             n_targets=n_targets, aggregate_function=agg, post_transform=post)
    if member: a['membership_values'] = numpy_helper.from_array(np.array(members, npdt), 'membership_values')
    return a
for vi_, (agg, post, dt, member, nt) in enumerate([(1, 0, TensorProto.FLOAT, False, 2), (0, 0, TensorProto.DOUBLE, True, 3), (2, 0, TensorProto.FLOAT, True, 1), (3, 1, TensorProto.FLOAT, False, 3), (1, 2, TensorProto.DOUBLE, True, 2), (1, 3, TensorProto.FLOAT, False, 3), (0, 4, TensorProto.FLOAT, False, 2)]):
    nf = int(rs.randint(2, 5))
    nodes, leaves = random_forest(int(rs.randint(2, 6)), int(rs.randint(2, 5)), nf, shuffle_ids=False)
    # every tree needs an interior root in the opset-5 form
    a = to_v5(nodes, None, nt, agg, post, dt, member)
    node = helper.make_node('TreeEnsemble', ['x'], ['y'], domain='ai.onnx.ml', **a)
    # onnxruntime 1.30 reads TreeEnsemble's post_transform 1 as LOGISTIC and 2 as SOFTMAX (its own enum's order), where
    # ONNX's spec says 1 is SOFTMAX and 2 LOGISTIC: the reference runs the spec's transform by the other number
    ref = helper.make_node('TreeEnsemble', ['x'], ['y'], domain='ai.onnx.ml', **{**a, 'post_transform': {1: 2, 2: 1}.get(post, post)})
    x = sample_x(int(rs.randint(5, 40)), nf)
    if member: x[rs.rand(*x.shape) < 0.3] = rs.choice([2.0, 3.0])
    if dt == TensorProto.DOUBLE: x = x.astype(np.float64)
    save(f'te{vi_:02d}_agg{agg}_post{post}', [node], [vi('x', dt, [None, nf])], [vi('y', dt, None)], {'x': x}, 5, ref_nodes=[ref])

# --- float64 input: compared in float64 (0.10000000149011613 is above float32(0.1) = 0.10000000149011612, equal to it in float32)
a = dict(nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0], nodes_modes=['BRANCH_LEQ', 'LEAF', 'LEAF'], nodes_values=[0.1, 0, 0],
         nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0], target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[0.3, 2.0], n_targets=1)
save('reg_float64', [helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **a)], [vi('x', TensorProto.DOUBLE, [None, 1])], [vi('y', TensorProto.FLOAT, None)],
     {'x': np.array([[0.1], [float(np.float32(0.1))], [0.10000000149011613], [0.0999], [np.nan]])}, 3)
# --- a boosted model's size: 60 trees of depth up to 6 over 8 features, 3 targets, 300 samples
nodes, leaves = random_forest(60, 6, 8)
a = legacy_attrs(nodes)
a.update(target_treeids=[t for t, _ in leaves for _k in range(3)], target_nodeids=[n for _, n in leaves for _k in range(3)], target_ids=[k for _ in leaves for k in range(3)],
         target_weights=[float(v) for v in rs.randn(3 * len(leaves)).astype(np.float32)], n_targets=3, base_values=[0.5, -0.5, 0.25])
save('reg_large', [helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **a)], [vi('x', TensorProto.FLOAT, [None, 8])], [vi('y', TensorProto.FLOAT, None)], {'x': sample_x(300, 8)}, 3)

# --- the other numeric operators
x = sample_x(7, 4, nan=0)
save('binarizer', [helper.make_node('Binarizer', ['x'], ['y'], domain='ai.onnx.ml', threshold=0.5)], [vi('x', TensorProto.FLOAT, [7, 4])], [vi('y', TensorProto.FLOAT, None)], {'x': x}, 3)
save('scaler', [helper.make_node('Scaler', ['x'], ['y'], domain='ai.onnx.ml', offset=[0.5, -1, 2, 0], scale=[2, 0.5, -1, 3])], [vi('x', TensorProto.FLOAT, [None, 4])], [vi('y', TensorProto.FLOAT, None)], {'x': x}, 3)
save('scaler1_int64', [helper.make_node('Scaler', ['x'], ['y'], domain='ai.onnx.ml', offset=[1.5], scale=[0.25])], [vi('x', TensorProto.INT64, [None, 4])], [vi('y', TensorProto.FLOAT, None)], {'x': rs.randint(-5, 5, (6, 4)).astype(np.int64)}, 3)
xn = sample_x(8, 5, nan=0); xn[0] = 0; xn[1] = -xn[1] ** 2 - 0.5
for norm in ['MAX', 'L1', 'L2']:
    save(f'normalizer_{norm}', [helper.make_node('Normalizer', ['x'], ['y'], domain='ai.onnx.ml', norm=norm)], [vi('x', TensorProto.FLOAT, [None, 5])], [vi('y', TensorProto.FLOAT, None)], {'x': xn}, 3)
xi = sample_x(9, 3, nan=0.3)
save('imputer_nan', [helper.make_node('Imputer', ['x'], ['y'], domain='ai.onnx.ml', imputed_value_floats=[1.0, 2.0, 3.0], replaced_value_float=float('nan'))], [vi('x', TensorProto.FLOAT, [None, 3])], [vi('y', TensorProto.FLOAT, None)], {'x': xi}, 3)
save('imputer_value', [helper.make_node('Imputer', ['x'], ['y'], domain='ai.onnx.ml', imputed_value_floats=[-7.0], replaced_value_float=0.5)], [vi('x', TensorProto.FLOAT, [None, 3])], [vi('y', TensorProto.FLOAT, None)], {'x': xi}, 3)
save('imputer_int64', [helper.make_node('Imputer', ['x'], ['y'], domain='ai.onnx.ml', imputed_value_int64s=[9, 8, 7], replaced_value_int64=0)], [vi('x', TensorProto.INT64, [None, 3])], [vi('y', TensorProto.INT64, None)], {'x': rs.randint(-2, 3, (8, 3)).astype(np.int64)}, 3)
save('onehot', [helper.make_node('OneHotEncoder', ['x'], ['y'], domain='ai.onnx.ml', cats_int64s=[3, 1, 7, 0], zeros=1)], [vi('x', TensorProto.INT64, [None, 2])], [vi('y', TensorProto.FLOAT, None)], {'x': rs.randint(0, 9, (6, 2)).astype(np.int64)}, 3)
save('onehot_float', [helper.make_node('OneHotEncoder', ['x'], ['y'], domain='ai.onnx.ml', cats_int64s=[1, 2, -1], zeros=1)], [vi('x', TensorProto.FLOAT, [None])], [vi('y', TensorProto.FLOAT, None)], {'x': np.array([1.5, 2, -1.5, 0.9, -0.5, 2.99], np.float32)}, 3)   # truncated toward 0 as onnxruntime casts
save('featurevectorizer', [helper.make_node('FeatureVectorizer', ['a', 'b', 'c'], ['y'], domain='ai.onnx.ml', inputdimensions=[2, 3, 4])], [vi('a', TensorProto.FLOAT, [None, 3]), vi('b', TensorProto.FLOAT, [None, 3]), vi('c', TensorProto.FLOAT, [None, 2])], [vi('y', TensorProto.FLOAT, None)],
     {'a': sample_x(5, 3), 'b': sample_x(5, 3), 'c': rs.randn(5, 2).astype(np.float32)}, 3)
save('afe', [helper.make_node('ArrayFeatureExtractor', ['x', 'i'], ['y'], domain='ai.onnx.ml')], [vi('x', TensorProto.FLOAT, [None, 5]), vi('i', TensorProto.INT64, [3])], [vi('y', TensorProto.FLOAT, None)], {'x': sample_x(4, 5), 'i': np.array([4, 0, 4], np.int64)}, 3)
save('labelenc_int_float', [helper.make_node('LabelEncoder', ['x'], ['y'], domain='ai.onnx.ml', keys_int64s=[5, 1, 3], values_floats=[0.5, -1.0, 2.0], default_float=-9.0)], [vi('x', TensorProto.INT64, [None])], [vi('y', TensorProto.FLOAT, None)], {'x': rs.randint(0, 7, 12).astype(np.int64)}, 2)
save('labelenc_float_int', [helper.make_node('LabelEncoder', ['x'], ['y'], domain='ai.onnx.ml', keys_floats=[0.5, -1.0, 1.5], values_int64s=[10, 20, 30], default_int64=-1)], [vi('x', TensorProto.FLOAT, [None, 2])], [vi('y', TensorProto.INT64, None)], {'x': sample_x(6, 2)}, 2)
save('labelenc_tensor', [helper.make_node('LabelEncoder', ['x'], ['y'], domain='ai.onnx.ml', keys_tensor=numpy_helper.from_array(np.array([1, 2, 8], np.int64), 'keys_tensor'), values_tensor=numpy_helper.from_array(np.array([0.25, 0.5, 4], np.float32), 'values_tensor'), default_tensor=numpy_helper.from_array(np.array([7.5], np.float32), 'default_tensor'))], [vi('x', TensorProto.INT64, [None])], [vi('y', TensorProto.FLOAT, None)], {'x': rs.randint(0, 9, 10).astype(np.int64)}, 4)
xe = np.array([1, np.nan, 2, 1.5, np.nan], np.float32)
save('labelenc_nan_list', [helper.make_node('LabelEncoder', ['x'], ['y'], domain='ai.onnx.ml', keys_floats=[1.0, float('nan'), 1.0], values_int64s=[3, 4, 5])], [vi('x', TensorProto.FLOAT, [None])], [vi('y', TensorProto.INT64, None)], {'x': xe}, 2)
save('labelenc_nan_tensor', [helper.make_node('LabelEncoder', ['x'], ['y'], domain='ai.onnx.ml', keys_tensor=numpy_helper.from_array(np.array([1.0, np.nan], np.float32), 'keys_tensor'), values_tensor=numpy_helper.from_array(np.array([3, 4], np.int64), 'values_tensor'))], [vi('x', TensorProto.FLOAT, [None])], [vi('y', TensorProto.INT64, None)], {'x': xe}, 4)
xl = sample_x(10, 3, nan=0)
save('linreg', [helper.make_node('LinearRegressor', ['x'], ['y'], domain='ai.onnx.ml', coefficients=[float(v) for v in rs.randn(6).astype(np.float32)], intercepts=[0.5, -1.0], targets=2)], [vi('x', TensorProto.FLOAT, [None, 3])], [vi('y', TensorProto.FLOAT, None)], {'x': xl}, 3)
for post, t in [('PROBIT', 1), ('PROBIT', 2), ('SOFTMAX', 3), ('SOFTMAX_ZERO', 2), ('LOGISTIC', 2)]:
    # coefficients on a 1/8 grid and inputs in {-1, 0, 1}: exact scores, some exactly 0 (PROBIT's 2v - 1 = -1: -inf)
    xg = rs.randint(-1, 2, (8, 3)).astype(np.float32)
    save(f'linreg_{post}_{t}', [helper.make_node('LinearRegressor', ['x'], ['y'], domain='ai.onnx.ml', coefficients=[float(v) for v in rs.randint(-4, 5, 3 * t) / 8], intercepts=[float(v) for v in rs.randint(0, 5, t) / 8], targets=t, post_transform=post)],
         [vi('x', TensorProto.FLOAT, [None, 3])], [vi('y', TensorProto.FLOAT, None)], {'x': xg}, 3)
for post in ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT']:
    save(f'linclass3_{post}', [helper.make_node('LinearClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', coefficients=[float(v) for v in rs.randn(9).astype(np.float32)], intercepts=[0.5, -1.0, 0.0], classlabels_ints=[4, 5, 6], post_transform=post)], [vi('x', TensorProto.FLOAT, [None, 3])], [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)], {'x': xl}, 3)
for post in ['NONE', 'LOGISTIC']:
    save(f'linclass2_{post}', [helper.make_node('LinearClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', coefficients=[float(v) for v in rs.randn(3).astype(np.float32)], intercepts=[0.25], classlabels_ints=[3, 8], post_transform=post)], [vi('x', TensorProto.FLOAT, [None, 3])], [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)], {'x': xl}, 3)
json.dump(cases, open(f'{out}/cases.json', 'w'))

# --- ties: one split at 1.0 per mode, x below, at, above and NaN, tracking NaN to either branch (hand-checked in the test too)
xt = np.array([[0.5], [1.0], [1.5], [np.nan]], np.float32)
for mode in MODES:
    for track in (0, 1):
        a = dict(nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0], nodes_modes=[mode, 'LEAF', 'LEAF'], nodes_values=[1.0, 0, 0],
                 nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0], nodes_missing_value_tracks_true=[track, 0, 0],
                 target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[10.0, 20.0], n_targets=1)
        save(f'tie_{mode[7:]}_{track}', [helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **a)], [vi('x', TensorProto.FLOAT, [None, 1])], [vi('y', TensorProto.FLOAT, None)], {'x': xt}, 3)
for track in (0, 1):
    a = dict(nodes_featureids=[0], nodes_truenodeids=[0], nodes_trueleafs=[1], nodes_falsenodeids=[1], nodes_falseleafs=[1],
             nodes_splits=numpy_helper.from_array(np.array([0], np.float32), 'nodes_splits'), nodes_modes=numpy_helper.from_array(np.array([6], np.uint8), 'nodes_modes'),
             membership_values=numpy_helper.from_array(np.array([0, 2, np.nan], np.float32), 'membership_values'), nodes_missing_value_tracks_true=[track],
             tree_roots=[0], leaf_targetids=[0, 0], leaf_weights=numpy_helper.from_array(np.array([10, 20], np.float32), 'leaf_weights'), n_targets=1, aggregate_function=1, post_transform=0)
    save(f'tie_MEMBER_{track}', [helper.make_node('TreeEnsemble', ['x'], ['y'], domain='ai.onnx.ml', **a)], [vi('x', TensorProto.FLOAT, [None, 1])], [vi('y', TensorProto.FLOAT, None)], {'x': np.array([[0], [1], [2], [np.nan]], np.float32)}, 5)
# binary classifier (weights for class 0, all >= 0: skl2onnx's binary forests) with a score of exactly 0.5: the negative label (onnxruntime: s > 0.5)
a = dict(nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0], nodes_modes=['BRANCH_LEQ', 'LEAF', 'LEAF'], nodes_values=[0.0, 0, 0],
         nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0], class_treeids=[0, 0], class_nodeids=[1, 2], class_ids=[0, 0], class_weights=[0.5, 0.75], classlabels_int64s=[3, 4])
save('binary_half', [helper.make_node('TreeEnsembleClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', **a)], [vi('x', TensorProto.FLOAT, [None, 1])], [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)], {'x': np.array([[-1], [0], [1]], np.float32)}, 3)

# --- support vector machines: every kernel, regression (one_class too) and one-vs-one classification
KP = {'LINEAR': [0.0, 0.0, 0.0], 'POLY': [0.5, 0.25, 3.0], 'RBF': [0.3, 0.0, 0.0], 'SIGMOID': [0.2, -0.1, 0.0]}
for kk, kernel in enumerate(['LINEAR', 'POLY', 'RBF', 'SIGMOID']):
    nsv, nf = 5, 3
    sv = [float(v) for v in rs.randn(nsv * nf).astype(np.float32)]
    for one in (0, 1):
        save(f'svr_{kernel}_{one}', [helper.make_node('SVMRegressor', ['x'], ['y'], domain='ai.onnx.ml', coefficients=[float(v) for v in rs.randn(nsv).astype(np.float32)], support_vectors=sv, n_supports=nsv,
             kernel_type=kernel, kernel_params=KP[kernel], rho=[float(np.float32(rs.randn()))], one_class=one)], [vi('x', TensorProto.FLOAT, [None, nf])], [vi('y', TensorProto.FLOAT, None)], {'x': rs.randn(9, nf).astype(np.float32)}, 3)
    for C, post in [(2, 'NONE'), (3, 'NONE'), (4, ['NONE', 'LOGISTIC', 'SOFTMAX', 'SOFTMAX_ZERO'][kk]), (2, 'LOGISTIC')]:
        per = [int(v) for v in rs.randint(1, 4, C)]
        n = sum(per)
        save(f'svc_{kernel}_{C}_{post}', [helper.make_node('SVMClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', coefficients=[float(v) for v in rs.randn((C - 1) * n).astype(np.float32)],
             support_vectors=[float(v) for v in rs.randn(n * nf).astype(np.float32)], vectors_per_class=per, kernel_type=kernel, kernel_params=KP[kernel],
             rho=[float(v) for v in rs.randn(C * (C - 1) // 2).astype(np.float32)], classlabels_ints=[int(v) for v in rs.choice(50, C, replace=False)], post_transform=post)],
             [vi('x', TensorProto.FLOAT, [None, nf])], [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)], {'x': rs.randn(11, nf).astype(np.float32)}, 3)
save('svr_linear_form', [helper.make_node('SVMRegressor', ['x'], ['y'], domain='ai.onnx.ml', coefficients=[0.5, -1.0, 2.0], n_supports=0, kernel_type='LINEAR', kernel_params=[0.0, 0.0, 0.0], rho=[0.25])], [vi('x', TensorProto.FLOAT, [None, 3])], [vi('y', TensorProto.FLOAT, None)], {'x': rs.randn(6, 3).astype(np.float32)}, 3)

# --- gradients of the leaf weights (rows: the LEAF nodes in listing order): L = sum(r * y)
def grad_case(name, agg, post, n_targets, exact):
    nf = 3
    nodes, leaves = random_forest(4, 3, nf)
    a = legacy_attrs(nodes)
    leaf_nodes = [(n['tree'], n['id']) for n in nodes if n['mode'] == 'LEAF']
    W = rs.randn(len(leaf_nodes), n_targets).astype(np.float32)
    def model(W):
        tt, tn, ti, tw = [], [], [], []
        for r, (t, nid) in enumerate(leaf_nodes):
            for k in range(n_targets):
                tt.append(t); tn.append(nid); ti.append(k); tw.append(float(W[r, k]))
        b = dict(a, target_treeids=tt, target_nodeids=tn, target_ids=ti, target_weights=tw, n_targets=n_targets, aggregate_function=agg, post_transform=post)
        g = helper.make_graph([helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **b)], name, [vi('x', TensorProto.FLOAT, [None, nf])], [vi('y', TensorProto.FLOAT, None)])
        return helper.make_model(g, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('ai.onnx.ml', 3)], ir_version=8)
    x = sample_x(16, nf)
    run = lambda W: ort.InferenceSession(model(W).SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x})[0].astype(np.float64)
    r = rs.randn(16, n_targets)
    G = np.zeros(W.shape)
    for l in range(W.shape[0]):
        for k in range(n_targets):
            e = np.zeros(W.shape, np.float32)
            if exact:   # the output is linear in the weights: a unit step is the derivative
                e[l, k] = 1; G[l, k] = (r * (run(W + e) - run(W))).sum()
            else:       # central differences
                e[l, k] = 1e-2; G[l, k] = (r * (run(W + e) - run(W - e))).sum() / 2e-2
    d = f'{out}/{name}'
    os.makedirs(d)
    onnx.save(model(W), f'{d}/model.onnx')
    np.save(f'{d}/in_x.npy', x); np.save(f'{d}/r.npy', r); np.save(f'{d}/grad.npy', G); np.save(f'{d}/w.npy', W)
grad_case('grad_sum', 'SUM', 'NONE', 2, True)
grad_case('grad_average', 'AVERAGE', 'NONE', 1, True)
grad_case('grad_softmax', 'SUM', 'SOFTMAX', 3, False)

# SVR (RBF): the output is linear in the coefficients and rho: unit steps give the gradient of sum(r * y)
nsv, nf = 6, 3
sv = [float(v) for v in rs.randn(nsv * nf).astype(np.float32)]
coef = rs.randn(nsv).astype(np.float32)
def svr(coef, rho):
    n = helper.make_node('SVMRegressor', ['x'], ['y'], domain='ai.onnx.ml', coefficients=[float(v) for v in coef], support_vectors=sv, n_supports=nsv, kernel_type='RBF', kernel_params=[0.4, 0.0, 0.0], rho=[float(rho)])
    return helper.make_model(helper.make_graph([n], 'svr', [vi('x', TensorProto.FLOAT, [None, nf])], [vi('y', TensorProto.FLOAT, None)]), opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('ai.onnx.ml', 3)], ir_version=8)
x = rs.randn(10, nf).astype(np.float32)
r = rs.randn(10, 1)
y0 = lambda m: ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x})[0].astype(np.float64)
base_y = y0(svr(coef, 0.5))
G = np.array([(r * (y0(svr(coef + np.eye(nsv, dtype=np.float32)[j], 0.5)) - base_y)).sum() for j in range(nsv)])
d = f'{out}/grad_svr'
os.makedirs(d)
onnx.save(svr(coef, 0.5), f'{d}/model.onnx')
np.save(f'{d}/in_x.npy', x); np.save(f'{d}/r.npy', r); np.save(f'{d}/grad.npy', G); np.save(f'{d}/w.npy', coef)

# --- models gluonc refuses (not run)
def refuse(name, node, ins, outs, ml=3):
    d = f'{out}/refuse_{name}'
    os.makedirs(d)
    onnx.save(helper.make_model(helper.make_graph([node] if not isinstance(node, list) else node, name, ins, outs), opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('ai.onnx.ml', ml)], ir_version=8), f'{d}/model.onnx')
base = dict(nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0], nodes_modes=['BRANCH_LEQ', 'LEAF', 'LEAF'], nodes_values=[0.0, 0, 0], nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0])
cls = dict(base, class_treeids=[0, 0], class_nodeids=[1, 2], class_ids=[0, 1], class_weights=[0.5, 0.75])
X1 = [vi('x', TensorProto.FLOAT, [None, 1])]
LS = [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)]
refuse('zipmap', [helper.make_node('TreeEnsembleClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', **dict(cls, classlabels_int64s=[0, 1, 2])),
                  helper.make_node('ZipMap', ['scores'], ['probs'], domain='ai.onnx.ml', classlabels_int64s=[0, 1, 2])],
       X1, [vi('label', TensorProto.INT64, None), helper.make_value_info('probs', helper.make_sequence_type_proto(helper.make_map_type_proto(TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, []))))])
refuse('string_labels', helper.make_node('TreeEnsembleClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', **dict(cls, classlabels_strings=['a', 'b', 'c'])), X1, [vi('scores', TensorProto.FLOAT, None)])
refuse('binary_both', helper.make_node('TreeEnsembleClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', **dict(cls, class_ids=[0, 1], classlabels_int64s=[5, 9])), X1, LS)
refuse('duplicate', helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **dict(base, target_treeids=[0, 0, 0], target_nodeids=[1, 1, 2], target_ids=[0, 0, 0], target_weights=[1.0, 2.0, 3.0], n_targets=1)), X1, [vi('y', TensorProto.FLOAT, None)])
refuse('logistic_one', helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **dict(base, target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[1.0, 3.0], n_targets=1, post_transform='LOGISTIC')), X1, [vi('y', TensorProto.FLOAT, None)])
refuse('te_logistic_one', helper.make_node('TreeEnsemble', ['x'], ['y'], domain='ai.onnx.ml', nodes_featureids=[0], nodes_truenodeids=[0], nodes_trueleafs=[1], nodes_falsenodeids=[1], nodes_falseleafs=[1],
       nodes_splits=numpy_helper.from_array(np.array([0], np.float32), 'nodes_splits'), nodes_modes=numpy_helper.from_array(np.array([0], np.uint8), 'nodes_modes'),
       tree_roots=[0], leaf_targetids=[0, 0], leaf_weights=numpy_helper.from_array(np.array([0.3, 2], np.float32), 'leaf_weights'), n_targets=1, post_transform=2), X1, [vi('y', TensorProto.FLOAT, None)], 5)
refuse('symbolic_features', helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **dict(base, target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[1.0, 3.0], n_targets=1)), [vi('x', TensorProto.FLOAT, ['N', 'F'])], [vi('y', TensorProto.FLOAT, None)])
refuse('cycle', helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **dict(base, nodes_modes=['BRANCH_LEQ', 'BRANCH_LEQ', 'LEAF'], nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 2, 0], target_treeids=[0], target_nodeids=[2], target_ids=[0], target_weights=[1.0], n_targets=1)), X1, [vi('y', TensorProto.FLOAT, None)])
refuse('label_strings', helper.make_node('LabelEncoder', ['x'], ['y'], domain='ai.onnx.ml', keys_int64s=[1, 2], values_strings=['a', 'b']), [vi('x', TensorProto.INT64, [None])], [vi('y', TensorProto.FLOAT, None)], 2)
refuse('feature_range', helper.make_node('TreeEnsembleRegressor', ['x'], ['y'], domain='ai.onnx.ml', **dict(base, nodes_featureids=[3, 0, 0], target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0], target_weights=[1.0, 3.0], n_targets=1)), [vi('x', TensorProto.FLOAT, [None, 2])], [vi('y', TensorProto.FLOAT, None)])
json.dump(cases, open(f'{out}/cases.json', 'w'))
`;

interface Case {
  name: string;
  inputs: string[];
  outputs: number;
}

/** The numbers of an NDArray (int64 as numbers). */
function vals(a: nd.NDArray): number[] {
  return tensorToNumbers(a._host);
}

/** NaN where `want` is NaN, else equal (infinities too) or within the tolerance. */
function closeNaN(got: number[], want: number[], what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: length`);
  want.forEach((w, k) => assert.ok(Number.isNaN(w) ? Number.isNaN(got[k]!) : got[k] === w || Math.abs(got[k]! - w) <= tol + tol * Math.abs(w), `${what}[${k}]: ${got[k]} where onnxruntime gives ${w}`));
}

function run(dir: string, c: Case, hybrid: boolean): nd.NDArray[] {
  const net = SymbolBlock.imports(join(dir, 'model.onnx'));
  if (hybrid) net.hybridize();
  const ys = net.call(...c.inputs.map((k) => new nd.NDArray(readNpy(join(dir, `in_${k}.npy`))))) as nd.NDArray | nd.NDArray[];
  return Array.isArray(ys) ? ys : [ys];
}

describe('imported ai.onnx.ml operators: onnxruntime', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('onnxml', ['onnx', 'onnxruntime'], SCRIPT);
  const cases = (): Case[] => JSON.parse(readFileSync(join(fx.dir, 'cases.json'), 'utf8')) as Case[];

  for (const hybrid of [false, true]) {
    it(`every case's outputs equal onnxruntime's (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const all = cases();
      assert.equal(all.length, 121);
      for (const c of all) {
        const dir = join(fx.dir, c.name);
        const ys = run(dir, c, hybrid);
        assert.equal(ys.length, c.outputs, c.name);
        for (let i = 0; i < c.outputs; i++) {
          const want = readNpy(join(dir, `out${i}.npy`));
          assert.equal(ys[i]!.dtype, want.dtype, `${c.name} output ${i} dtype`);
          assert.deepEqual(ys[i]!.shape, want.shape, `${c.name} output ${i} shape`);
          // PROBIT near a probability of 0.5 (erf⁻¹ of about 0) cancels in onnxruntime's float32 approximation, whose
          // results there differ from the same formula in float32 in the third digit of a value near 0.008: 1e-4.
          closeNaN(vals(ys[i]!), tensorToNumbers(want), `${c.name} output ${i}`, c.name.includes('PROBIT') ? 1e-4 : 1e-5);
        }
      }
    });
  }

  it("a split exactly at its threshold follows the spec's comparison (x = 0.5, 1, 1.5, NaN against 1; true -> 10, false -> 20)", () => {
    // ONNX's TreeEnsemble spec and onnxruntime: the true branch where cmp(x, t) holds or x is NaN and the node tracks missing values to it.
    const T = 10;
    const F = 20;
    const table: Record<string, number[]> = { LEQ: [T, T, F], LT: [T, F, F], GTE: [F, T, T], GT: [F, F, T], EQ: [F, T, F], NEQ: [T, F, T] };
    for (const [mode, rows] of Object.entries(table)) {
      for (const track of [0, 1]) {
        // NaN != 1 holds, so NEQ takes the true branch for NaN either way.
        const nan = mode === 'NEQ' || track ? T : F;
        const name = `tie_${mode}_${track}`;
        for (const hybrid of [false, true]) assert.deepEqual(vals(run(join(fx.dir, name), { name, inputs: ['x'], outputs: 1 }, hybrid)[0]!), [...rows, nan], `${name} ${hybrid ? 'hybridized' : 'eager'}`);
        assert.deepEqual(tensorToNumbers(readNpy(join(fx.dir, name, 'out0.npy'))), [...rows, nan], `${name}: onnxruntime agrees`);
      }
    }
    // Set membership {0, 2}: x = 0, 1, 2, NaN.
    for (const track of [0, 1]) {
      const name = `tie_MEMBER_${track}`;
      assert.deepEqual(vals(run(join(fx.dir, name), { name, inputs: ['x'], outputs: 1 }, true)[0]!), [T, F, T, track ? T : F], name);
    }
    // A binary forest's score of exactly 0.5 is the negative label (onnxruntime: s > 0.5), scores [1 - s, s].
    const [label, scores] = run(join(fx.dir, 'binary_half'), { name: 'binary_half', inputs: ['x'], outputs: 2 }, true);
    assert.deepEqual(vals(label!), [3, 3, 4]);
    assert.deepEqual(vals(scores!), [0.5, 0.5, 0.5, 0.5, 0.25, 0.75]);
  });

  for (const name of ['grad_sum', 'grad_average', 'grad_softmax', 'grad_svr']) {
    const what = name === 'grad_svr' ? 'the SVR\'s coefficients' : 'the leaf weights';
    it(`${name}: the gradient of sum(r · y) in ${what} (a parameter, eager and hybridized) equals onnxruntime's outputs differentiated`, () => {
      const dir = join(fx.dir, name);
      const x = new nd.NDArray(readNpy(join(dir, 'in_x.npy')));
      const r = nd.array(tensorToNumbers(readNpy(join(dir, 'r.npy'))), { dtype: 'float32' }).reshape(readNpy(join(dir, 'r.npy')).shape as number[]);
      const want = tensorToNumbers(readNpy(join(dir, 'grad.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const params = net.collectParams();
        // The leaf weights are the forest's one parameter (the thresholds stay constants); the SVR's support vectors stay constants.
        const pname = name === 'grad_svr' ? '#0_coefficients' : '#0_leaf_weights';
        assert.deepEqual(params.keys().sort(), name === 'grad_svr' ? ['#0_coefficients', '#0_rho'] : ['#0_leaf_weights']);
        const w = params.get(pname);
        assertClose(vals(w.data()), tensorToNumbers(readNpy(join(dir, 'w.npy'))), `${name}: ${what}${name === 'grad_svr' ? '' : ', rows in the order of the LEAF nodes'}`);
        const l = autograd.record(() => (net.call(x) as nd.NDArray).mul(r).sum());
        l.backward();
        assertClose(vals(w.grad()), want, `${name} ${hybrid ? 'hybridized' : 'eager'}`, name === 'grad_softmax' ? 2e-3 : 1e-5, name === 'grad_softmax' ? 2e-3 : 1e-5);
        if (name === 'grad_sum') {
          // One SGD step moves the leaves by -lr · gradient / batch size.
          const before = vals(w.data());
          new gluon.Trainer(params, 'sgd', { learningRate: 0.5 }).step(16);
          assertClose(vals(w.data()), before.map((v, k) => v - (0.5 * want[k]!) / 16), `${name}: one SGD step`);
        }
      }
    });
  }

  it('a forest fine-tuned one SGD step exports to a file of default-domain operators that onnxruntime runs to the same output', async () => {
    const dir = join(fx.dir, 'grad_softmax');
    const x = new nd.NDArray(readNpy(join(dir, 'in_x.npy')));
    const net = SymbolBlock.imports(join(dir, 'model.onnx'));
    net.hybridize();
    const params = net.collectParams();
    const before = vals(autograd.pause(() => net.call(x) as nd.NDArray));
    const l = autograd.record(() => (net.call(x) as nd.NDArray).max({ axis: 1 }).sum());
    l.backward();
    new gluon.Trainer(params, 'sgd', { learningRate: 0.5 }).step(16);
    const want = vals(autograd.pause(() => net.call(x) as nd.NDArray));
    assert.ok(want.some((v, k) => Math.abs(v - before[k]!) > 1e-4), 'the step moved the outputs');
    const out = join(dir, 'finetuned.onnx');
    net.export(out);
    assert.deepEqual(checkOnnxFiles([out]), [null]);
    assert.ok(!readFileSync(out).includes(Buffer.from('ai.onnx.ml')), 'no ai.onnx.ml operator in the exported file');
    const session = await ort.InferenceSession.create(out);
    try {
      const t = readNpy(join(dir, 'in_x.npy'));
      const res = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', t.data as Float32Array, t.shape as number[]) });
      assertClose(Array.from(res[session.outputNames[0]!]!.data as Float32Array), want, 'the exported file in onnxruntime');
    } finally {
      await session.release();
    }
  });

  it('refuses by name what has no gluonc form or where onnxruntime and the spec part', () => {
    const cases: Array<[string, RegExp]> = [
      ['zipmap', /ONNX operator 'ZipMap' \(node '#1'\) has no gluonc equivalent: its output is a sequence of maps/],
      ['string_labels', /'TreeEnsembleClassifier' \(node '#0'\) has no gluonc equivalent: classlabels_strings \(string class labels\)/],
      ['binary_both', /two classes with weights for both: onnxruntime labels these 1 or 0/],
      ['duplicate', /node 1 of tree 0 lists target 0 twice/],
      ['logistic_one', /post_transform LOGISTIC with one target/],
      ['te_logistic_one', /'TreeEnsemble' \(node '#0'\) has no gluonc equivalent: post_transform LOGISTIC with one target/],
      ['symbolic_features', /input of shape \[N, F\]: the number of features must be known/],
      ['cycle', /tree 0 has a cycle/],
      ['label_strings', /'LabelEncoder' \(node '#0'\) has no gluonc equivalent: values_strings \(string keys or values\)/],
      ['feature_range', /feature ids \[3, 3\] are out of range for 2 features/],
    ];
    for (const [name, re] of cases) assert.throws(() => readModel(readFileSync(join(fx.dir, `refuse_${name}`, 'model.onnx'))), re, name);
  });
});
