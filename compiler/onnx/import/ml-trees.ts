/**
 * ai.onnx.ml's tree ensembles (TreeEnsemble of ml opset 5; TreeEnsembleRegressor
 * and TreeEnsembleClassifier of opsets 1-3, the forms skl2onnx, onnxmltools'
 * LightGBM and XGBoost converters write) as a vectorized traversal: every
 * node of every tree is one "slot" (leaves point to themselves); per tree and
 * sample the current slot starts at the root and steps max-depth times: the
 * sample's feature at the node against its threshold (mode
 * BRANCH_LEQ/LT/GTE/GT/EQ/NEQ or set membership; a NaN feature going to the
 * true branch where `nodes_missing_value_tracks_true` says so, as ONNX's
 * TreeEnsemble spec and onnxruntime write it: `cmp(x) || (track && isnan(x))`)
 * picks the true or false child, every gather a `take` of [N, trees]
 * positions. The leaves reached pick
 * rows of a leaf-weight matrix [leaves, targets], a parameter named
 * `<node>_leaf_weights` (fine-tuning the leaves of a boosted model trains it);
 * thresholds stay constants (the comparisons have no gradient). Aggregation
 * SUM, AVERAGE, MIN, MAX; base values; post transforms as onnxruntime's
 * (ml_common.h: PROBIT by its erf⁻¹ approximation, SOFTMAX_ZERO leaving
 * zeros out). Classifiers give the label (int64 class labels; strings refused)
 * and the scores, onnxruntime's binary forms included (one class's weights:
 * [σ(-s), σ(s)] for LOGISTIC, else [1 - s, s] or [-s, s]).
 */
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import type { DType } from '../../../runtime/dtypes.js';
import { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';

type Mode = 'LEQ' | 'LT' | 'GTE' | 'GT' | 'EQ' | 'NEQ' | 'MEMBER';
const MODES: Mode[] = ['LEQ', 'LT', 'GTE', 'GT', 'EQ', 'NEQ', 'MEMBER'];
export const POST = ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT'] as const;
type Post = (typeof POST)[number];
const AGGREGATES = ['AVERAGE', 'SUM', 'MIN', 'MAX'] as const;
type Aggregate = (typeof AGGREGATES)[number];

/** One node of the flattened forest: a split (mode, feature, threshold or set, children) or a leaf (its row of leaf weights). */
interface Slot {
  mode: Mode | 'LEAF';
  feature: number;
  threshold: number;
  members: number[];
  track: boolean;
  t: number;
  f: number;
  leaf: number;
}

/** The forest: slots, one root slot per tree, and per leaf row its (target, weight) entries. */
interface Forest {
  slots: Slot[];
  roots: number[];
  leaves: Array<Array<[number, number]>>;
}

/** An attribute's numbers from its list or its `_as_tensor` form (one of them; null when neither). */
function listOrTensor(c: ImportCtx, name: string): { values: number[]; dtype: DType } | null {
  const list = c.attr.floats(name);
  const t = c.attr.tensor(`${name}_as_tensor`);
  if (list && t) throw c.refuse(`both ${name} and ${name}_as_tensor are set`);
  if (t) return { values: tensorToNumbers(t), dtype: t.dtype };
  return list ? { values: list, dtype: 'float32' } : null;
}

/** A tensor attribute's numbers, or null when absent. */
function tensorNumbers(c: ImportCtx, name: string): number[] | null {
  const t: HostTensor | null = c.attr.tensor(name);
  return t ? tensorToNumbers(t) : null;
}

/**
 * The forest of TreeEnsembleRegressor/Classifier (opsets 1-3): nodes listed by
 * (tree id, node id), a tree's root the first node listed for it (as ONNX's
 * reference takes it); `prefix` names the leaf attributes (target_* or class_*).
 */
function legacyForest(c: ImportCtx, prefix: 'target' | 'class'): { forest: Forest; thresholdDtype: DType } {
  c.attr.ignore('nodes_hitrates', 'nodes_hitrates_as_tensor');
  const need = (name: string) => {
    const v = c.attr.ints(name);
    if (!v) throw c.refuse(`attribute ${name} is missing`);
    return v;
  };
  const treeIds = need('nodes_treeids');
  const nodeIds = need('nodes_nodeids');
  const features = need('nodes_featureids');
  const trues = need('nodes_truenodeids');
  const falses = need('nodes_falsenodeids');
  const modes = c.attr.strs('nodes_modes');
  if (!modes) throw c.refuse('attribute nodes_modes is missing');
  const values = listOrTensor(c, 'nodes_values') ?? { values: [], dtype: 'float32' as DType };
  const tracks = c.attr.ints('nodes_missing_value_tracks_true') ?? [];
  const n = treeIds.length;
  for (const [name, len] of [['nodes_nodeids', nodeIds.length], ['nodes_featureids', features.length], ['nodes_modes', modes.length], ['nodes_truenodeids', trues.length], ['nodes_falsenodeids', falses.length]] as const) {
    if (len !== n) throw c.refuse(`${name} lists ${len} entries for ${n} nodes_treeids`);
  }
  const index = new Map<string, number>();
  const roots = new Map<number, number>();
  treeIds.forEach((t, i) => {
    const key = `${t}/${nodeIds[i]}`;
    if (index.has(key)) throw c.refuse(`node ${nodeIds[i]} of tree ${t} is listed twice`);
    index.set(key, i);
    if (!roots.has(t)) roots.set(t, i);
  });
  const leafOf = new Map<number, number>();
  const leaves: Array<Array<[number, number]>> = [];
  const slots: Slot[] = modes.map((m, i) => {
    const mode = m === 'LEAF' ? 'LEAF' : MODES.find((x) => `BRANCH_${x}` === m && x !== 'MEMBER');
    if (!mode) throw c.refuse(`node ${nodeIds[i]} of tree ${treeIds[i]} has mode '${m}' (BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ or LEAF)`);
    const child = (id: number, which: string) => {
      const k = index.get(`${treeIds[i]}/${id}`);
      if (k === undefined) throw c.refuse(`node ${nodeIds[i]} of tree ${treeIds[i]}: its ${which} node ${id} is not in the tree`);
      return k;
    };
    if (mode === 'LEAF') {
      leafOf.set(i, leaves.length);
      leaves.push([]);
      return { mode, feature: 0, threshold: 0, members: [], track: false, t: i, f: i, leaf: leaves.length - 1 };
    }
    if (values.values[i] === undefined) throw c.refuse(`nodes_values has no threshold for node ${nodeIds[i]} of tree ${treeIds[i]}`);
    return { mode, feature: features[i]!, threshold: values.values[i]!, members: [], track: (tracks[i] ?? 0) !== 0, t: child(trues[i]!, 'true'), f: child(falses[i]!, 'false'), leaf: -1 };
  });
  const tt = c.attr.ints(`${prefix}_treeids`) ?? [];
  const tn = c.attr.ints(`${prefix}_nodeids`) ?? [];
  const ti = c.attr.ints(`${prefix}_ids`) ?? [];
  const tw = listOrTensor(c, `${prefix}_weights`)?.values ?? [];
  if (tn.length !== tt.length || ti.length !== tt.length || tw.length !== tt.length) throw c.refuse(`${prefix}_treeids, ${prefix}_nodeids, ${prefix}_ids and ${prefix}_weights list ${tt.length}, ${tn.length}, ${ti.length} and ${tw.length} entries`);
  tt.forEach((t, k) => {
    const i = index.get(`${t}/${tn[k]}`);
    const row = i === undefined ? undefined : leafOf.get(i);
    if (row === undefined) throw c.refuse(`${prefix} weight ${k} is for node ${tn[k]} of tree ${t}, which is no LEAF node`);
    // onnxruntime keeps one of two weights of a leaf for one target where there is one target and adds them where there
    // are more (ONNX's spec says neither): a leaf listing a target twice is refused rather than read one way.
    if (leaves[row]!.some(([t2]) => t2 === ti[k])) throw c.refuse(`node ${tn[k]} of tree ${t} lists ${prefix} ${ti[k]} twice (onnxruntime adds the two weights or keeps one, depending on the number of targets)`);
    leaves[row]!.push([ti[k]!, tw[k]!]);
  });
  return { forest: { slots, roots: [...roots.values()], leaves }, thresholdDtype: values.dtype };
}

/** The forest of TreeEnsemble (ml opset 5): interior nodes `nodes_*`, leaves `leaf_*` (slot `n + j` for leaf j). */
function opset5Forest(c: ImportCtx): { forest: Forest; thresholdDtype: DType } {
  c.attr.ignore('nodes_hitrates');
  const need = (name: string) => {
    const v = c.attr.ints(name);
    if (!v) throw c.refuse(`attribute ${name} is missing`);
    return v;
  };
  const features = need('nodes_featureids');
  const trues = need('nodes_truenodeids');
  const falses = need('nodes_falsenodeids');
  const trueLeaf = need('nodes_trueleafs');
  const falseLeaf = need('nodes_falseleafs');
  const roots = need('tree_roots');
  const targetIds = need('leaf_targetids');
  const splitsT = c.attr.tensor('nodes_splits');
  const weightsT = c.attr.tensor('leaf_weights');
  if (!splitsT || !weightsT) throw c.refuse('attributes nodes_splits and leaf_weights (tensors) are required');
  const splits = tensorToNumbers(splitsT);
  const weights = tensorToNumbers(weightsT);
  const modes = tensorNumbers(c, 'nodes_modes') ?? [];
  const tracks = c.attr.ints('nodes_missing_value_tracks_true') ?? [];
  const members = tensorNumbers(c, 'membership_values') ?? [];
  const n = features.length;
  for (const [name, len] of [['nodes_truenodeids', trues.length], ['nodes_falsenodeids', falses.length], ['nodes_trueleafs', trueLeaf.length], ['nodes_falseleafs', falseLeaf.length], ['nodes_modes', modes.length], ['nodes_splits', splits.length]] as const) {
    if (len !== n) throw c.refuse(`${name} lists ${len} entries for ${n} nodes_featureids`);
  }
  if (targetIds.length !== weights.length) throw c.refuse(`leaf_targetids lists ${targetIds.length} entries for ${weights.length} leaf_weights`);
  // The member sets, in the order of the BRANCH_MEMBER nodes, each ended by a NaN.
  const sets: number[][] = [[]];
  for (const v of members) if (Number.isNaN(v)) sets.push([]);
  else sets[sets.length - 1]!.push(v);
  sets.pop();
  let nextSet = 0;
  const child = (i: number, id: number, leaf: number, which: string) => {
    const max = leaf ? weights.length : n;
    if (!(id >= 0 && id < max)) throw c.refuse(`node ${i}'s ${which} branch ${id} is out of range for the ${max} ${leaf ? 'leaves' : 'nodes'}`);
    return leaf ? n + id : id;
  };
  const slots: Slot[] = features.map((feature, i) => {
    const mode = MODES[modes[i]!];
    if (!mode) throw c.refuse(`node ${i} has mode ${modes[i]} (0 to 6: BRANCH_LEQ .. BRANCH_MEMBER)`);
    let set: number[] = [];
    if (mode === 'MEMBER') {
      set = sets[nextSet++] ?? [];
      if (nextSet > sets.length) throw c.refuse(`membership_values has fewer NaN-ended sets than BRANCH_MEMBER nodes`);
    }
    return { mode, feature, threshold: splits[i]!, members: set, track: (tracks[i] ?? 0) !== 0, t: child(i, trues[i]!, trueLeaf[i]!, 'true'), f: child(i, falses[i]!, falseLeaf[i]!, 'false'), leaf: -1 };
  });
  if (nextSet !== sets.length) throw c.refuse(`membership_values holds ${sets.length} sets for ${nextSet} BRANCH_MEMBER nodes`);
  const leaves: Array<Array<[number, number]>> = weights.map((w, j) => {
    slots.push({ mode: 'LEAF', feature: 0, threshold: 0, members: [], track: false, t: n + j, f: n + j, leaf: j });
    return [[targetIds[j]!, w]];
  });
  for (const r of roots) if (!(r >= 0 && r < n)) throw c.refuse(`tree root ${r} is out of range for the ${n} nodes`);
  return { forest: { slots, roots, leaves }, thresholdDtype: splitsT.dtype };
}

/** A tensor of `v`'s shape and dtype filled with `x`. */
export function fillLike(c: ImportCtx, v: Value, x: number): Value {
  return c.op('add', [c.op('zerosLike', [v]), c.scalar(x, v.type.dtype)]);
}

/** The number of steps from the roots to the deepest leaf; a refusal for a cycle. */
function depthOf(c: ImportCtx, f: Forest): number {
  let max = 0;
  f.roots.forEach((root, tree) => {
    const stack: Array<[number, number]> = [[root, 0]];
    while (stack.length) {
      const [s, d] = stack.pop()!;
      const slot = f.slots[s]!;
      if (slot.mode === 'LEAF') {
        max = Math.max(max, d);
        continue;
      }
      if (d > f.slots.length) throw c.refuse(`tree ${tree} has a cycle (a node is its own descendant)`);
      stack.push([slot.t, d + 1], [slot.f, d + 1]);
    }
  });
  return max;
}

/**
 * Per sample and tree, the leaf row reached: [N, trees] int64. Each step
 * gathers, for every sample's current node of every tree, its feature's
 * value (`take` from the flattened input), threshold and mode, compares, and
 * moves to the true or false child: tensors of [N, trees], never [N, nodes].
 */
function leafRows(c: ImportCtx, f: Forest, x: Value, dtype: DType): Value {
  const xs = x.type.shape;
  if (xs.length !== 2) throw c.refuse(`input of shape [${xs.join(', ')}] (it takes [N, F])`);
  const nf = xs[1]!;
  // The feature ids are checked against a known feature count (a row's gather could otherwise read the next row).
  if (typeof nf !== 'number') throw c.refuse(`input of shape [${xs.join(', ')}]: the number of features must be known to check the trees' feature ids (the file leaves it symbolic)`);
  const used = f.slots.filter((s) => s.mode !== 'LEAF').map((s) => s.feature);
  if (used.some((k) => k < 0 || k >= nf)) throw c.refuse(`feature ids [${Math.min(...used)}, ${Math.max(...used)}] are out of range for ${nf} features`);
  const S = f.slots.length;
  const cst = (vals: number[], shape: number[], dt: DType = dtype) => c.constant(tensorFromNumbers(dt, shape, vals));
  const at = (table: Value, slot: Value) => c.op('take', [table, slot], { axis: 0, mode: 'clip' });
  const xflat = c.op('reshape', [castTo(c, x, dtype)], { shape: [-1] });
  // Row n's features start at n · F in the flattened input.
  const rowBase = c.op('expandDims', [c.op('mul', [c.op('arangeLike', [x], { axis: 0, dtype: 'int64' }), c.scalar(nf, 'int64')])], { axis: 1 });
  const features = cst(f.slots.map((s) => (s.mode === 'LEAF' ? used[0] ?? 0 : s.feature)), [S], 'int64');
  const thresholds = cst(f.slots.map((s) => s.threshold), [S]);
  const modes = cst(f.slots.map((s) => (s.mode === 'LEAF' ? -1 : MODES.indexOf(s.mode))), [S], 'int64');
  const present = MODES.filter((m) => f.slots.some((s) => s.mode === m));
  const memberWidth = Math.max(1, ...f.slots.map((s) => s.members.length));
  const members = present.includes('MEMBER') ? cst(f.slots.flatMap((s) => Array.from({ length: memberWidth }, (_v, k) => s.members[k] ?? NaN)), [S, memberWidth]) : null;
  // A NaN feature: true where the node tracks missing values to the true branch (or its comparison holds for NaN: NEQ).
  const nanTrue = cst(f.slots.map((s) => (s.track || s.mode === 'NEQ' ? 1 : 0)), [S]);
  const trues = cst(f.slots.map((s) => s.t), [S], 'int64');
  const falses = cst(f.slots.map((s) => s.f), [S], 'int64');
  const OPS: Record<string, string> = { LEQ: 'lesserEqual', LT: 'lesser', GTE: 'greaterEqual', GT: 'greater', EQ: 'equal', NEQ: 'notEqual' };
  let slot = c.op('add', [c.op('mul', [rowBase, c.scalar(0, 'int64')]), cst(f.roots, [1, f.roots.length], 'int64')]);
  for (let k = depthOf(c, f); k > 0; k--) {
    const v = c.op('take', [xflat, c.op('add', [rowBase, at(features, slot)])], { axis: 0, mode: 'clip' });
    const t = at(thresholds, slot);
    const mode = present.length > 1 ? at(modes, slot) : null;
    let cmp: Value | null = null;
    for (const m of present) {
      const r = m === 'MEMBER' ? c.op('max', [c.op('equal', [c.op('expandDims', [v], { axis: 2 }), at(members!, slot)])], { axis: 2 }) : c.op(OPS[m]!, [v, t]);
      cmp = cmp ? c.op('where', [c.op('equal', [mode!, c.scalar(MODES.indexOf(m), 'int64')]), r, cmp]) : r;
    }
    cmp = cmp ?? c.op('zerosLike', [v]);
    cmp = c.op('where', [c.op('notEqual', [v, v]), at(nanTrue, slot), cmp]);
    slot = c.op('where', [cmp, at(trues, slot), at(falses, slot)]);
  }
  return at(cst(f.slots.map((s) => Math.max(0, s.leaf)), [S], 'int64'), slot);
}

/** The ensemble's aggregated scores [N, K] and which targets some reached leaf scored ([N, K], 0/1): the leaf weights a parameter. */
function aggregate(c: ImportCtx, f: Forest, rows: Value, nTargets: number, agg: Aggregate, dtype: DType): { scores: Value; has: Value } {
  const L = f.leaves.length;
  const w = new Array(L * nTargets).fill(0);
  const has = new Array(L * nTargets).fill(0);
  f.leaves.forEach((entries, r) => {
    for (const [t, v] of entries) {
      if (!(t >= 0 && t < nTargets)) throw c.refuse(`a leaf weight is for target ${t}, out of range for ${nTargets} targets`);
      // Entries for one target of one leaf add up (as onnxruntime sums them); MIN/MAX keep the extreme.
      const k = r * nTargets + t;
      w[k] = !has[k] || agg === 'SUM' || agg === 'AVERAGE' ? (has[k] ? w[k] + v : v) : agg === 'MIN' ? Math.min(w[k], v) : Math.max(w[k], v);
      has[k] = 1;
    }
  });
  const data = tensorFromNumbers(dtype, [L, nTargets], w);
  const weights = Value.param(`${c.label}_leaf_weights`, { dtype, shape: [L, nTargets] }, data);
  const picked = c.op('take', [weights, rows], { axis: 0, mode: 'clip' });
  const hasPicked = c.op('take', [c.constant(tensorFromNumbers(dtype, [L, nTargets], has)), rows], { axis: 0, mode: 'clip' });
  const scored = c.op('max', [hasPicked], { axis: 1 });
  if (agg === 'SUM' || agg === 'AVERAGE') {
    const s = c.op('sum', [picked], { axis: 1 });
    return { scores: agg === 'SUM' ? s : c.op('div', [s, c.scalar(f.roots.length, dtype)]), has: scored };
  }
  const ext = c.op(agg === 'MIN' ? 'min' : 'max', [c.op('where', [hasPicked, picked, fillLike(c, picked, agg === 'MIN' ? Infinity : -Infinity)])], { axis: 1 });
  return { scores: c.op('where', [scored, ext, c.op('zerosLike', [ext])]), has: scored };
}

/** onnxruntime's PROBIT: √2 · erf⁻¹(2v - 1) by its approximation (ml_common.h ErfInv, a = 0.147). */
export function probitOf(c: ImportCtx, v: Value): Value {
  const dt = v.type.dtype;
  const s = (x: number) => c.scalar(x, dt);
  const x = c.op('sub', [c.op('mul', [v, s(2)]), s(1)]);
  const sgn = c.op('where', [c.op('lesser', [x, s(0)]), fillLike(c, x, -1), fillLike(c, x, 1)]);
  const log = c.op('log', [c.op('mul', [c.op('sub', [s(1), x]), c.op('add', [s(1), x])])]);
  // The constants rounded as onnxruntime's float arithmetic rounds them (2 / (3.14159f * 0.147f), 1 / 0.147f).
  const f = Math.fround;
  const a = c.op('add', [s(f(2 / f(f(3.14159) * f(0.147)))), c.op('mul', [s(0.5), log])]);
  const b = c.op('mul', [s(f(1 / f(0.147))), log]);
  const r = c.op('sqrt', [c.op('sub', [c.op('sqrt', [c.op('sub', [c.op('mul', [a, a]), b])]), a])]);
  return c.op('mul', [s(1.41421356), c.op('mul', [sgn, r])]);
}

/** A post transform over the last axis of [N, K] scores, as onnxruntime's write_scores. */
export function postTransform(c: ImportCtx, v: Value, post: Post): Value {
  const dt = v.type.dtype;
  switch (post) {
    case 'NONE':
      return v;
    case 'LOGISTIC':
      return c.op('sigmoid', [v]);
    case 'SOFTMAX':
      return c.op('softmax', [v], { axis: -1 });
    case 'PROBIT':
      return probitOf(c, v);
    case 'SOFTMAX_ZERO': {
      // Entries with |v| <= 1e-7 are left out of the sum and become v · e^-max (0 for 0).
      const max = c.op('max', [v], { axis: -1, keepdims: true });
      const nonzero = c.op('greater', [c.op('abs', [v]), c.scalar(1e-7, dt)]);
      const e = c.op('where', [nonzero, c.op('exp', [c.op('sub', [v, max])]), c.op('mul', [v, c.op('exp', [c.op('neg', [max])])])]);
      const sum = c.op('sum', [c.op('mul', [e, nonzero])], { axis: -1, keepdims: true });
      return c.op('div', [e, sum]);
    }
  }
}

/** An enum attribute: its name (opsets 1-3, a string) or index (TreeEnsemble, an int); a refusal for others. */
function enumAttr<T extends string>(c: ImportCtx, name: string, all: readonly T[], dflt: T, asInt: boolean): T {
  if (asInt) {
    const k = c.attr.int(name, all.indexOf(dflt));
    if (!all[k]) throw c.refuse(`${name} ${k} (0 to ${all.length - 1}: ${all.join(', ')})`);
    return all[k];
  }
  const s = c.attr.str(name, dflt);
  if (!all.includes(s as T)) throw c.refuse(`${name} '${s}' (one of ${all.join(', ')})`);
  return s as T;
}

/**
 * Base values added per target after aggregation (onnxruntime adds them only
 * when there is one per target); with `only`, only where a target was scored
 * (onnxruntime 1.30's regressor leaves a target no reached leaf scores at 0).
 */
function withBase(c: ImportCtx, scores: Value, nTargets: number, only?: Value): Value {
  const base = listOrTensor(c, 'base_values');
  if (!base || !base.values.length) return scores;
  if (base.values.length !== nTargets) throw c.refuse(`${base.values.length} base_values for ${nTargets} targets`);
  const b = c.constant(tensorFromNumbers(scores.type.dtype, [nTargets], base.values));
  return c.op('add', [scores, only ? c.op('mul', [b, only]) : b]);
}

/** onnxruntime applies only PROBIT to a single target (FinalizeScores1), ONNX's spec any transform: the others are refused there. */
export function singleTargetPost(c: ImportCtx, nTargets: number, post: Post): void {
  if (nTargets === 1 && post !== 'NONE' && post !== 'PROBIT') throw c.refuse(`post_transform ${post} with one target: onnxruntime leaves the score untransformed there, ONNX's spec transforms it; gluonc does not pick one`);
}

/** The dtype the comparisons and sums run in: float64 for a float64 input or thresholds given as a float64 tensor, else float32. */
function workDtype(x: Value, thresholds: DType): DType {
  return x.type.dtype === 'float64' || thresholds === 'float64' ? 'float64' : 'float32';
}

const treeEnsemble: Builder = (c) => {
  const x = c.input(0);
  if (x.type.dtype !== 'float32' && x.type.dtype !== 'float64') throw c.refuse(`input of dtype ${x.type.dtype} (float32 or float64)`);
  const { forest } = opset5Forest(c);
  const nTargets = c.attr.int('n_targets', 0);
  if (nTargets < 1) throw c.refuse(`n_targets ${nTargets}`);
  const agg = enumAttr(c, 'aggregate_function', AGGREGATES, 'SUM', true);
  const post = enumAttr(c, 'post_transform', POST, 'NONE', true);
  singleTargetPost(c, nTargets, post);
  const dtype = x.type.dtype;
  const { scores } = aggregate(c, forest, leafRows(c, forest, x, dtype), nTargets, agg, dtype);
  return [postTransform(c, scores, post)];
};

const treeRegressor: Builder = (c) => {
  const x = c.input(0);
  const { forest, thresholdDtype } = legacyForest(c, 'target');
  const nTargets = c.attr.int('n_targets', 0);
  if (nTargets < 1) throw c.refuse(`n_targets ${nTargets}`);
  const agg = enumAttr(c, 'aggregate_function', AGGREGATES, 'SUM', false);
  const post = enumAttr(c, 'post_transform', POST, 'NONE', false);
  singleTargetPost(c, nTargets, post);
  const dtype = workDtype(x, thresholdDtype);
  const { scores, has } = aggregate(c, forest, leafRows(c, forest, x, dtype), nTargets, agg, dtype);
  return [castTo(c, postTransform(c, withBase(c, scores, nTargets, has), post), 'float32')];
};

const treeClassifier: Builder = (c) => {
  const x = c.input(0);
  if (c.attr.has('classlabels_strings')) throw c.refuse('classlabels_strings (string class labels): gluonc has no string tensors; a model with int64 classlabels_int64s imports');
  const labels = c.attr.ints('classlabels_int64s');
  if (!labels || !labels.length) throw c.refuse('classlabels_int64s is missing');
  const { forest, thresholdDtype } = legacyForest(c, 'class');
  const post = enumAttr(c, 'post_transform', POST, 'NONE', false);
  const dtype = workDtype(x, thresholdDtype);
  const C = labels.length;
  const ids = new Set(forest.leaves.flatMap((l) => l.map(([t]) => t)));
  const labelOf = (idx: Value) => c.op('take', [c.constant(tensorFromNumbers('int64', [C], labels)), idx], { axis: 0, mode: 'clip' });
  const rows = leafRows(c, forest, x, dtype);
  if (C === 2 && ids.size === 1) return binaryClassifier(c, forest, rows, [...ids][0]!, labels, post, dtype);
  if (C < 2) throw c.refuse(`${C} class label (two or more)`);
  if (C === 2) throw c.refuse('two classes with weights for both: onnxruntime labels these 1 or 0 (not the class labels) by the sign of the second score, not by the larger score; gluonc does not pick one');
  const { scores, has } = aggregate(c, forest, rows, C, 'SUM', dtype);
  const base = listOrTensor(c, 'base_values');
  const total = withBase(c, scores, C);
  // onnxruntime's label: the largest score among the classes scored (by a reached leaf, or all when base_values are given).
  const scored = base?.values.length ? total : c.op('where', [has, total, fillLike(c, total, -Infinity)]);
  const label = labelOf(c.op('argmax', [scored], { axis: 1, keepdims: false }));
  return [label, castTo(c, postTransform(c, total, post), 'float32')];
};

/**
 * onnxruntime's binary classifier (two labels, weights for one class): the
 * score s (plus the one base value); the positive label where s > 0.5 (all
 * weights >= 0) or s > 0 (weights of both signs); for weights of the first
 * class, scores [σ(-s), σ(s)] for LOGISTIC, else [1 - s, s] for weights all
 * >= 0 and [-s, s] for weights of both signs, SOFTMAX and SOFTMAX_ZERO not
 * applied; for weights of the second, [0, s] post-transformed (onnxruntime
 * 1.30's results).
 */
function binaryClassifier(c: ImportCtx, f: Forest, rows: Value, id: number, labels: number[], post: Post, dtype: DType): Value[] {
  const base = listOrTensor(c, 'base_values')?.values ?? [];
  const allPositive = f.leaves.every((l) => l.every(([, w]) => w >= 0));
  const labelBy = (s: Value) => {
    const win = c.op('greater', [s, c.scalar(allPositive ? 0.5 : 0, dtype)]);
    return c.op('take', [c.constant(tensorFromNumbers('int64', [2], labels)), c.op('squeeze', [castTo(c, win, 'int64')], { axis: 1 })], { axis: 0, mode: 'clip' });
  };
  if (id === 1) {
    // Weights for the second class only: onnxruntime scores [0, s] as two classes, post-transformed.
    if (base.length) throw c.refuse('base_values with weights only for the second of two classes (onnxruntime leaves them out there)');
    if (f.leaves.some((l) => !l.length)) throw c.refuse('a leaf without a weight where the weights are for the second of two classes only (onnxruntime then writes one score column)');
    const { scores: s } = aggregate(c, { ...f, leaves: f.leaves.map((l) => l.map(([, w]): [number, number] => [0, w])) }, rows, 1, 'SUM', dtype);
    return [labelBy(s), castTo(c, postTransform(c, c.op('concat', [c.op('zerosLike', [s]), s], { dim: 1 }), post), 'float32')];
  }
  if (id !== 0) throw c.refuse(`two class labels with weights only for class ${id}`);
  if (post === 'PROBIT') throw c.refuse('post_transform PROBIT with two classes and weights for the first: onnxruntime writes one score column there');
  if (base.length > 1) throw c.refuse(`${base.length} base_values with weights for one of two classes (none or one are mapped)`);
  const { scores, has } = aggregate(c, f, rows, 1, 'SUM', dtype);
  const s = base.length ? c.op('add', [scores, c.scalar(base[0]!, dtype)]) : scores;
  const label = labelBy(c.op('mul', [s, has]));
  let out: Value;
  if (post === 'LOGISTIC') out = c.op('concat', [c.op('sigmoid', [c.op('neg', [s])]), c.op('sigmoid', [s])], { dim: 1 });
  else if (allPositive) out = c.op('concat', [c.op('sub', [c.scalar(1, dtype), s]), s], { dim: 1 });
  else out = c.op('concat', [c.op('neg', [s]), s], { dim: 1 });
  return [label, castTo(c, out, 'float32')];
}

/** The tree ensembles' builders. */
export const ML_TREE_IMPORTS: Readonly<Record<string, Builder>> = { TreeEnsemble: treeEnsemble, TreeEnsembleRegressor: treeRegressor, TreeEnsembleClassifier: treeClassifier };
