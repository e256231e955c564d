/**
 * The one table between MXNet's operators and gluonc's, read both ways:
 * `SymbolBlock.imports` reads an MXNet operator name as the gluonc operator
 * whose entry lists it, and `export(path, { format: 'mxnet' })` writes a
 * gluonc operator as the first name of its entry (the name MXNet's own
 * `sym.tojson()` records: the registered name, not an alias). One entry per
 * gluonc operator; an operator with no entry has no MXNet equivalent for the
 * writer (the reader still takes an MXNet name that is a gluonc operator's
 * name or alias, or its camelCase spelling: `slice_axis` is `sliceAxis`).
 * Attribute names are MXNet's snake_case of gluonc's camelCase (`numHidden`
 * is `num_hidden`) on both sides.
 * Invariants: an MXNet name reads as one gluonc operator (the module checks
 * it when loaded); entries that fix attributes (`softrelu` written as
 * `Activation` with `act_type=softrelu`) are write-only, so the name reads as
 * the operator it names.
 */

/** How one gluonc operator is spelt in MXNet's symbol files. Example: `MXNET_OPS.flatten`. */
export interface MxnetOpMapping {
  /** MXNet's names: the first is written, all are read (MXNet 1.x aliases, MXNet 2's `_npi_` forms). */
  names: readonly string[];
  /** The form MXNet takes for operands of different shapes (`broadcast_add`); also read. */
  broadcast?: string;
  /** `x op scalar` (its `scalar` attribute): written first, all read. */
  scalar?: readonly string[];
  /** `scalar op x`; an operator marked `commutative` writes its `scalar` form for both. */
  rscalar?: readonly string[];
  commutative?: boolean;
  /** gluonc's attributes MXNet's operator does not take (execution mode, seeds): not written. */
  drop?: readonly string[];
  /** Flags written only when true: ones a later MXNet 1.x added (softmax's `use_length`, 1.6), so that older versions still read files that leave them off. */
  omitFalse?: readonly string[];
  /** Attributes not written when unset (null): MXNet's default there is the empty shape, which its operator reads as 1s or 0s (transpose: reversed axes), and a written 'None' parses as a shape of unknown rank (include/mxnet/tuple.h), which it does not. */
  omitNull?: readonly string[];
  /** MXNet's operator counts its inputs in a required `num_args` attribute (Concat, stack, add_n). */
  numArgs?: boolean;
  /** MXNet's count of the operator's outputs where it has hidden ones (BatchNorm's mean and variance), for `node_row_ptr`. */
  outputs?: number;
  /** Attributes the written node gets (snake_case, MXNet's strings); such an entry is write-only. */
  attrs?: Readonly<Record<string, string>>;
  /** Why MXNet 1.x's operator cannot take this node (its inputs' shapes, its attributes), if it cannot. */
  refuse?: (inputs: readonly (readonly (number | string)[])[], attrs: Readonly<Record<string, unknown>>) => string | undefined;
}

const same = (name: string, ...more: string[]): MxnetOpMapping => ({ names: [name, ...more] });

/** Every gluonc operator (canonical name) that has an MXNet equivalent. */
export const MXNET_OPS: Readonly<Record<string, MxnetOpMapping>> = {
  // Arithmetic: equal shapes use elemwise_*, others broadcast_*, a constant scalar the _*_scalar forms.
  add: { names: ['elemwise_add', '_plus', '_Plus', '_add', '_npi_add'], broadcast: 'broadcast_add', scalar: ['_plus_scalar', '_npi_add_scalar'], commutative: true },
  sub: { names: ['elemwise_sub', '_minus', '_Minus', '_sub', '_npi_subtract'], broadcast: 'broadcast_sub', scalar: ['_minus_scalar', '_npi_subtract_scalar'], rscalar: ['_rminus_scalar', '_npi_rsubtract_scalar'] },
  mul: { names: ['elemwise_mul', '_mul', '_Mul', '_npi_multiply'], broadcast: 'broadcast_mul', scalar: ['_mul_scalar', '_npi_multiply_scalar'], commutative: true },
  div: { names: ['elemwise_div', '_div', '_Div', '_npi_true_divide'], broadcast: 'broadcast_div', scalar: ['_div_scalar', '_npi_true_divide_scalar'], rscalar: ['_rdiv_scalar', '_npi_rtrue_divide_scalar'] },
  // MXNet's own same-shape forms (F.elemwiseAdd): written as they are; read as add/sub/mul/div above.
  elemwiseAdd: { names: ['elemwise_add'], attrs: {} },
  // add_n (ElementWiseSum) is read as a chain of adds (mxnet-symbol.ts); written as it is.
  addN: { names: ['add_n'], numArgs: true, attrs: {} },
  elemwiseSub: { names: ['elemwise_sub'], attrs: {} },
  elemwiseMul: { names: ['elemwise_mul'], attrs: {} },
  elemwiseDiv: { names: ['elemwise_div'], attrs: {} },
  pow: { names: ['_power', '_Power', '_npi_power'], broadcast: 'broadcast_power', scalar: ['_power_scalar', '_npi_power_scalar'], rscalar: ['_rpower_scalar', '_npi_rpower_scalar'] },
  maximum: { names: ['_maximum', '_npi_maximum'], broadcast: 'broadcast_maximum', scalar: ['_maximum_scalar', '_npi_maximum_scalar'], commutative: true },
  minimum: { names: ['_minimum', '_npi_minimum'], broadcast: 'broadcast_minimum', scalar: ['_minimum_scalar', '_npi_minimum_scalar'], commutative: true },
  // Comparisons (0/1 in the inputs' dtype, as gluonc's nd): broadcast_* for any shapes, _*_scalar with a number on the right.
  equal: { names: ['broadcast_equal', '_equal'], scalar: ['_equal_scalar'], commutative: true },
  notEqual: { names: ['broadcast_not_equal', '_not_equal'], scalar: ['_not_equal_scalar'], commutative: true },
  greater: { names: ['broadcast_greater', '_greater'], scalar: ['_greater_scalar'] },
  greaterEqual: { names: ['broadcast_greater_equal', '_greater_equal'], scalar: ['_greater_equal_scalar'] },
  lesser: { names: ['broadcast_lesser', '_lesser'], scalar: ['_lesser_scalar'] },
  lesserEqual: { names: ['broadcast_lesser_equal', '_lesser_equal'], scalar: ['_lesser_equal_scalar'] },
  // Elementwise functions.
  neg: same('negative', '_npi_negative'),
  abs: same('abs', '_npi_absolute'),
  sign: same('sign'),
  exp: same('exp', '_npi_exp'),
  log: same('log', '_npi_log'),
  log1p: same('log1p'),
  expm1: same('expm1'),
  sqrt: same('sqrt', '_npi_sqrt'),
  rsqrt: same('rsqrt'),
  square: same('square', '_npi_square'),
  reciprocal: same('reciprocal'),
  sin: same('sin'),
  cos: same('cos'),
  arcsin: same('arcsin'),
  arccos: same('arccos'),
  arctan: same('arctan'),
  tanh: same('tanh', '_npi_tanh'),
  sigmoid: same('sigmoid', '_npx_sigmoid'),
  relu: same('relu', '_npx_relu'),
  erf: same('erf'),
  floor: same('floor'),
  ceil: same('ceil'),
  clip: same('clip'),
  where: same('where'),
  softrelu: { names: ['Activation'], attrs: { act_type: 'softrelu' } },
  gelu: { names: ['LeakyReLU'], attrs: { act_type: 'gelu' } },
  // Reductions.
  sum: same('sum'),
  mean: same('mean'),
  max: same('max'),
  min: same('min'),
  prod: same('prod'),
  norm: same('norm'),
  // Shapes, joins, indexing.
  reshape: same('Reshape'),
  reshapeLike: same('reshape_like'),
  transpose: { names: ['transpose'], omitNull: ['axes'] },
  expandDims: same('expand_dims'),
  squeeze: same('squeeze'),
  flatten: same('Flatten'),
  cast: same('Cast'),
  zerosLike: same('zeros_like'),
  onesLike: same('ones_like'),
  stopGradient: same('BlockGrad'),
  // MXNet's recurrent layers join their flat parameter vector with _rnn_param_concat (a Concat whose shape inference also runs backwards).
  concat: { names: ['Concat', '_rnn_param_concat', '_npi_rnn_param_concat'], numArgs: true },
  stack: { names: ['stack'], numArgs: true },
  split: same('SliceChannel'),
  tile: same('tile'),
  repeat: same('repeat'),
  broadcastTo: same('broadcast_to'),
  broadcastLike: same('broadcast_like'),
  broadcastAxis: same('broadcast_axis', 'broadcast_axes'),
  arangeLike: same('_contrib_arange_like', '_npx_arange_like'),
  divSqrtDim: same('_contrib_div_sqrt_dim'),
  slice: { names: ['slice'], omitNull: ['step'] },
  sliceAxis: same('slice_axis'),
  take: same('take'),
  pick: same('pick'),
  oneHot: same('one_hot'),
  pad: same('Pad'),
  dot: same('dot'),
  batchDot: same('batch_dot'),
  topk: same('topk'),
  sort: same('sort'),
  argsort: same('argsort'),
  SequenceMask: same('SequenceMask'),
  SequenceLast: same('SequenceLast'),
  SequenceReverse: same('SequenceReverse'),
  // Layers.
  FullyConnected: same('FullyConnected'),
  // stride, pad, dilate (and adj): "Defaults to 1 for each dimension" / "no padding" (convolution-inl.h, deconvolution-inl.h, pooling-inl.h).
  Convolution: { names: ['Convolution'], omitNull: ['stride', 'pad', 'dilate'] },
  // targetShape and pValue hold their positional places only (always empty): MXNet's files leave them out.
  Deconvolution: { names: ['Deconvolution'], drop: ['targetShape'], omitNull: ['stride', 'pad', 'dilate', 'adj'] },
  ModulatedDeformableConvolution: { names: ['_contrib_ModulatedDeformableConvolution'], omitNull: ['stride', 'pad', 'dilate'] },
  DeformableConvolution: { names: ['_contrib_DeformableConvolution'], omitNull: ['stride', 'pad', 'dilate'] },
  Embedding: same('Embedding'),
  Pooling: { names: ['Pooling'], drop: ['pValue'], omitNull: ['stride', 'pad'] },
  // aligned came in a later MXNet 1.x than ROIAlign: written only when true, so older versions still read the file.
  ROIAlign: { names: ['_contrib_ROIAlign', '_npx_roi_align'], omitFalse: ['aligned'] },
  // The detection operators (multibox.ts, box-ops.ts); all hybridize (an SSD deploy or training file exports to ONNX).
  MultiBoxPrior: same('_contrib_MultiBoxPrior', '_npx_multibox_prior'),
  MultiBoxTarget: same('_contrib_MultiBoxTarget', '_npx_multibox_target'),
  MultiBoxDetection: same('_contrib_MultiBoxDetection', '_npx_multibox_detection'),
  boxIou: same('_contrib_box_iou', '_npx_box_iou'),
  boxNms: same('_contrib_box_nms', '_contrib_box_non_maximum_suppression', '_npx_box_nms'),
  Activation: same('Activation'),
  // MXNet's CTCLoss also has a hidden second output (its gradient); gluonc's node has the loss only.
  CTCLoss: same('CTCLoss', 'ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss', '_npx_ctc_loss'),
  // The training heads (heads.ts); `Softmax` is SoftmaxOutput's pre-2016 name, read by mxnet-symbol.ts.
  SoftmaxOutput: same('SoftmaxOutput'),
  LinearRegressionOutput: same('LinearRegressionOutput'),
  LogisticRegressionOutput: same('LogisticRegressionOutput'),
  MAERegressionOutput: same('MAERegressionOutput'),
  MakeLoss: same('MakeLoss', 'make_loss'),
  LeakyReLU: same('LeakyReLU'),
  softmax: { names: ['softmax'], omitFalse: ['useLength'] },
  logSoftmax: same('log_softmax'),
  // Dropout's second output is its mask; the normalizations' hidden outputs are the batch statistics.
  Dropout: { names: ['Dropout'], drop: ['training', 'seed'], outputs: 2 },
  BatchNorm: { names: ['BatchNorm'], drop: ['training'], outputs: 3 },
  LayerNorm: { names: ['LayerNorm'], outputs: 3 },
  InstanceNorm: { names: ['InstanceNorm'], outputs: 3 },
  // MXNet 1.x's GroupNorm scales per group (src/operator/nn/group_norm.cc: gamma and beta of shape (num_groups,)).
  GroupNorm: {
    names: ['GroupNorm'], outputs: 3,
    refuse: ([, gamma], a) => (gamma?.length === 1 && gamma[0] === a.numGroups ? undefined : `MXNet 1.x's GroupNorm takes gamma and beta per group ([${String(a.numGroups)}]), this one's are [${gamma?.join(', ')}] (per channel, MXNet 2's)`),
  },
};

/** What an MXNet operator name reads as: the gluonc operator, and for the scalar forms which side the scalar is on. */
export interface MxnetRead {
  op: string;
  scalar?: 'right' | 'left';
}

const READ = new Map<string, MxnetRead>();
for (const [op, m] of Object.entries(MXNET_OPS)) {
  if (m.attrs) continue;
  const add = (name: string, r: MxnetRead) => {
    const had = READ.get(name);
    if (had && (had.op !== r.op || had.scalar !== r.scalar)) throw new Error(`MXNET_OPS: MXNet's '${name}' is listed for both '${had.op}' and '${op}'`);
    READ.set(name, r);
  };
  for (const n of m.names) add(n, { op });
  if (m.broadcast) add(m.broadcast, { op });
  for (const n of m.scalar ?? []) add(n, { op, scalar: 'right' });
  for (const n of m.rscalar ?? []) add(n, { op, scalar: 'left' });
}

/**
 * The gluonc operator an MXNet operator name is listed for (undefined when no
 * entry lists it). Example: `readMxnetOp('_rminus_scalar')` is `{ op: 'sub', scalar: 'left' }`.
 */
export function readMxnetOp(name: string): MxnetRead | undefined {
  return READ.get(name);
}

/** MXNet's snake_case of a gluonc attribute name. Example: `snake('numHidden')` is `'num_hidden'`. */
export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
