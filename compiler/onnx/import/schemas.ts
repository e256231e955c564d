/**
 * ONNX's operator signatures, as python onnx 1.23.1 defines them
 * (`python3 test/fixtures/onnx/schemas.py` prints the table below;
 * test/compiler/onnx/schemas.test.ts compares it with the installed onnx):
 * per operator, one entry per opset where its formal inputs, its number of
 * outputs or its required attributes changed. Inputs in OpSpec's notation: `name` required, `name?`
 * optional, `...name` variadic with at least one, `...name*` variadic that
 * may be empty; outputs: the most a node may name (-1: any number).
 *
 * The reader checks every node against it before a builder sees the node
 * (`checkSignature`), so a file whose node lacks a required input (a Reshape
 * without its shape, a BitShift with one operand) or names more inputs or
 * outputs than its operator has, or lacks a required attribute (a MaxPool
 * without kernel_shape), is an Error naming the node, the input or attribute
 * and the operator's version, in one place for every builder.
 *
 * ```ts
 * checkSignature('Reshape', '', 14, ['x'], ['y'], []); // throws: input 1 ('shape') of Reshape-14 is required but absent
 * ```
 */

/** [opset where this signature starts, formal inputs, most outputs (-1: any), required attributes (space-separated)]. */
export type Signature = readonly [since: number, inputs: string, outputs: number, required?: string];

/** Operator signatures by `opType` (default domain) or `domain:opType`. */
export const SIGNATURES: Readonly<Record<string, readonly Signature[]>> = {
  'Abs': [[1, 'X', 1]],
  'Acos': [[7, 'input', 1]],
  'Acosh': [[9, 'input', 1]],
  'Add': [[1, 'A B', 1]],
  'AffineGrid': [[20, 'theta size', 1]],
  'And': [[1, 'A B', 1]],
  'ArgMax': [[1, 'data', 1]],
  'ArgMin': [[1, 'data', 1]],
  'Asin': [[7, 'input', 1]],
  'Asinh': [[9, 'input', 1]],
  'Atan': [[7, 'input', 1]],
  'Atanh': [[9, 'input', 1]],
  'Attention': [[23, 'Q K V attn_mask? past_key? past_value?', 4], [24, 'Q K V attn_mask? past_key? past_value? nonpad_kv_seqlen?', 4]],
  'AveragePool': [[1, 'X', 1, 'kernel_shape']],
  'BatchNormalization': [[1, 'X scale B mean var', 5, 'consumed_inputs'], [6, 'X scale B mean var', 5], [14, 'X scale B input_mean input_var', 3]],
  'Bernoulli': [[15, 'input', 1]],
  'BitCast': [[26, 'input', 1, 'to']],
  'BitShift': [[11, 'X Y', 1, 'direction']],
  'BitwiseAnd': [[18, 'A B', 1]],
  'BitwiseNot': [[18, 'X', 1]],
  'BitwiseOr': [[18, 'A B', 1]],
  'BitwiseXor': [[18, 'A B', 1]],
  'BlackmanWindow': [[17, 'size', 1]],
  'Cast': [[1, 'input', 1, 'to']],
  'CastLike': [[15, 'input target_type', 1]],
  'CausalConvWithState': [[27, 'input weight bias? past_state?', 2]],
  'Ceil': [[1, 'X', 1]],
  'Celu': [[12, 'X', 1]],
  'CenterCropPad': [[18, 'input_data shape', 1]],
  'Clip': [[1, 'input', 1], [11, 'input min? max?', 1]],
  'Col2Im': [[18, 'input image_shape block_shape', 1]],
  'Compress': [[9, 'input condition', 1]],
  'Concat': [[1, '...inputs', 1], [4, '...inputs', 1, 'axis']],
  'ConcatFromSequence': [[11, 'input_sequence', 1, 'axis']],
  'Constant': [[1, '', 1, 'value'], [11, '', 1]],
  'ConstantOfShape': [[9, 'input', 1]],
  'Conv': [[1, 'X W B?', 1]],
  'ConvInteger': [[10, 'x w x_zero_point? w_zero_point?', 1]],
  'ConvTranspose': [[1, 'X W B?', 1]],
  'Cos': [[7, 'input', 1]],
  'Cosh': [[9, 'input', 1]],
  'CumProd': [[26, 'x axis', 1]],
  'CumSum': [[11, 'x axis', 1]],
  'DFT': [[17, 'input dft_length?', 1], [20, 'input dft_length? axis?', 1]],
  'DeformConv': [[19, 'X W offset B? mask?', 1]],
  'DepthToSpace': [[1, 'input', 1, 'blocksize']],
  'DequantizeLinear': [[10, 'x x_scale x_zero_point?', 1]],
  'Det': [[11, 'X', 1]],
  'Div': [[1, 'A B', 1]],
  'Dropout': [[1, 'data', 2], [12, 'data ratio? training_mode?', 2]],
  'DynamicQuantizeLinear': [[11, 'x', 3]],
  'Einsum': [[12, '...Inputs', 1, 'equation']],
  'Elu': [[1, 'X', 1]],
  'Equal': [[1, 'A B', 1]],
  'Erf': [[9, 'input', 1]],
  'Exp': [[1, 'input', 1]],
  'Expand': [[8, 'input shape', 1]],
  'EyeLike': [[9, 'input', 1]],
  'Flatten': [[1, 'input', 1]],
  'Floor': [[1, 'X', 1]],
  'GRU': [[1, 'X W R B? sequence_lens? initial_h?', 2]],
  'Gather': [[1, 'data indices', 1]],
  'GatherElements': [[11, 'data indices', 1]],
  'GatherND': [[11, 'data indices', 1]],
  'Gelu': [[20, 'X', 1]],
  'Gemm': [[1, 'A B C', 1], [11, 'A B C?', 1]],
  'GlobalAveragePool': [[1, 'X', 1]],
  'GlobalLpPool': [[1, 'X', 1]],
  'GlobalMaxPool': [[1, 'X', 1]],
  'Greater': [[1, 'A B', 1]],
  'GreaterOrEqual': [[12, 'A B', 1]],
  'GridSample': [[16, 'X grid', 1]],
  'GroupNormalization': [[18, 'X scale bias', 1, 'num_groups']],
  'HammingWindow': [[17, 'size', 1]],
  'HannWindow': [[17, 'size', 1]],
  'HardSigmoid': [[1, 'X', 1]],
  'HardSwish': [[14, 'X', 1]],
  'Hardmax': [[1, 'input', 1]],
  'Identity': [[1, 'input', 1]],
  'If': [[1, 'cond', -1, 'else_branch then_branch']],
  'ImageDecoder': [[20, 'encoded_stream', 1]],
  'InstanceNormalization': [[1, 'input scale B', 1]],
  'IsInf': [[10, 'X', 1]],
  'IsNaN': [[9, 'X', 1]],
  'LRN': [[1, 'X', 1, 'size']],
  'LSTM': [[1, 'X W R B? sequence_lens? initial_h? initial_c? P?', 3]],
  'LayerNormalization': [[17, 'X Scale B?', 3]],
  'LeakyRelu': [[1, 'X', 1]],
  'Less': [[1, 'A B', 1]],
  'LessOrEqual': [[12, 'A B', 1]],
  'LinearAttention': [[27, 'query key value past_state? decay? beta?', 2, 'kv_num_heads q_num_heads']],
  'Log': [[1, 'input', 1]],
  'LogSoftmax': [[1, 'input', 1]],
  'Loop': [[1, 'M? cond? ...v_initial', -1, 'body'], [11, 'M? cond? ...v_initial*', -1, 'body']],
  'LpNormalization': [[1, 'input', 1]],
  'LpPool': [[1, 'X', 1], [2, 'X', 1, 'kernel_shape']],
  'MatMul': [[1, 'A B', 1]],
  'MatMulInteger': [[10, 'A B a_zero_point? b_zero_point?', 1]],
  'Max': [[1, '...data_0', 1]],
  'MaxPool': [[1, 'X', 1, 'kernel_shape'], [8, 'X', 2, 'kernel_shape']],
  'MaxRoiPool': [[1, 'X rois', 1, 'pooled_shape']],
  'MaxUnpool': [[9, 'X I output_shape?', 1, 'kernel_shape']],
  'Mean': [[1, '...data_0', 1]],
  'MeanVarianceNormalization': [[9, 'X', 1]],
  'MelWeightMatrix': [[17, 'num_mel_bins dft_length sample_rate lower_edge_hertz upper_edge_hertz', 1]],
  'Min': [[1, '...data_0', 1]],
  'Mish': [[18, 'X', 1]],
  'Mod': [[10, 'A B', 1]],
  'Mul': [[1, 'A B', 1]],
  'Multinomial': [[7, 'input', 1]],
  'Neg': [[1, 'X', 1]],
  'NegativeLogLikelihoodLoss': [[12, 'input target weight?', 1]],
  'NonMaxSuppression': [[10, 'boxes scores max_output_boxes_per_class? iou_threshold? score_threshold?', 1]],
  'NonZero': [[9, 'X', 1]],
  'Not': [[1, 'X', 1]],
  'OneHot': [[9, 'indices depth values', 1]],
  'Optional': [[15, 'input?', 1]],
  'OptionalGetElement': [[15, 'input', 1]],
  'OptionalHasElement': [[15, 'input', 1], [18, 'input?', 1]],
  'Or': [[1, 'A B', 1]],
  'PRelu': [[1, 'X slope', 1]],
  'Pad': [[1, 'data', 1, 'paddings'], [2, 'data', 1, 'pads'], [11, 'data pads constant_value?', 1], [18, 'data pads constant_value? axes?', 1]],
  'Pow': [[1, 'X Y', 1]],
  'QLinearConv': [[10, 'x x_scale x_zero_point w w_scale w_zero_point y_scale y_zero_point B?', 1]],
  'QLinearMatMul': [[10, 'a a_scale a_zero_point b b_scale b_zero_point y_scale y_zero_point', 1]],
  'QuantizeLinear': [[10, 'x y_scale y_zero_point?', 1]],
  'RMSNormalization': [[23, 'X scale', 1]],
  'RNN': [[1, 'X W R B? sequence_lens? initial_h?', 2]],
  'RandomNormal': [[1, '', 1, 'shape']],
  'RandomNormalLike': [[1, 'input', 1]],
  'RandomUniform': [[1, '', 1, 'shape']],
  'RandomUniformLike': [[1, 'input', 1]],
  'Range': [[11, 'start limit delta', 1]],
  'Reciprocal': [[1, 'X', 1]],
  'ReduceL1': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceL2': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceLogSum': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceLogSumExp': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceMax': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceMean': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceMin': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceProd': [[1, 'data', 1], [18, 'data axes?', 1]],
  'ReduceSum': [[1, 'data', 1], [13, 'data axes?', 1]],
  'ReduceSumSquare': [[1, 'data', 1], [18, 'data axes?', 1]],
  'RegexFullMatch': [[20, 'X', 1]],
  'Relu': [[1, 'X', 1]],
  'Reshape': [[1, 'data', 1], [5, 'data shape', 1]],
  'Resize': [[10, 'X scales', 1], [11, 'X roi scales sizes?', 1], [13, 'X roi? scales? sizes?', 1]],
  'ReverseSequence': [[10, 'input sequence_lens', 1]],
  'RoiAlign': [[10, 'X rois batch_indices', 1]],
  'RotaryEmbedding': [[23, 'X cos_cache sin_cache position_ids?', 1]],
  'Round': [[11, 'X', 1]],
  'STFT': [[17, 'signal frame_step window? frame_length?', 1]],
  'Scan': [[8, 'sequence_lens? ...initial_state_and_scan_inputs', -1, 'body num_scan_inputs'], [9, '...initial_state_and_scan_inputs', -1, 'body num_scan_inputs']],
  'Scatter': [[9, 'data indices updates', 1]],
  'ScatterElements': [[11, 'data indices updates', 1]],
  'ScatterND': [[11, 'data indices updates', 1]],
  'Selu': [[1, 'X', 1]],
  'SequenceAt': [[11, 'input_sequence position', 1]],
  'SequenceConstruct': [[11, '...inputs', 1]],
  'SequenceEmpty': [[11, '', 1]],
  'SequenceErase': [[11, 'input_sequence position?', 1]],
  'SequenceInsert': [[11, 'input_sequence tensor position?', 1]],
  'SequenceLength': [[11, 'input_sequence', 1]],
  'SequenceMap': [[17, 'input_sequence ...additional_inputs*', -1, 'body']],
  'Shape': [[1, 'data', 1]],
  'Shrink': [[9, 'input', 1]],
  'Sigmoid': [[1, 'X', 1]],
  'Sign': [[9, 'input', 1]],
  'Sin': [[7, 'input', 1]],
  'Sinh': [[9, 'input', 1]],
  'Size': [[1, 'data', 1]],
  'Slice': [[1, 'data', 1, 'ends starts'], [10, 'data starts ends axes? steps?', 1]],
  'Softmax': [[1, 'input', 1]],
  'SoftmaxCrossEntropyLoss': [[12, 'scores labels weights?', 2]],
  'Softplus': [[1, 'X', 1]],
  'Softsign': [[1, 'input', 1]],
  'SpaceToDepth': [[1, 'input', 1, 'blocksize']],
  'Split': [[1, 'input split?', -1], [2, 'input', -1], [13, 'input split?', -1]],
  'SplitToSequence': [[11, 'input split?', 1]],
  'Sqrt': [[1, 'X', 1]],
  'Squeeze': [[1, 'data', 1], [13, 'data axes?', 1]],
  'StringConcat': [[20, 'X Y', 1]],
  'StringNormalizer': [[10, 'X', 1]],
  'StringSplit': [[20, 'X', 2]],
  'Sub': [[1, 'A B', 1]],
  'Sum': [[1, '...data_0', 1]],
  'SwiGLU': [[28, 'A B', 1]],
  'Swish': [[24, 'X', 1]],
  'Tan': [[7, 'input', 1]],
  'Tanh': [[1, 'input', 1]],
  'TensorScatter': [[24, 'past_cache update write_indices?', 1]],
  'TfIdfVectorizer': [[9, 'X', 1, 'max_gram_length max_skip_count min_gram_length mode ngram_counts ngram_indexes']],
  'ThresholdedRelu': [[10, 'X', 1]],
  'Tile': [[1, 'input tiles axis', 1], [6, 'input repeats', 1]],
  'TopK': [[1, 'X', 2, 'k'], [10, 'X K', 2]],
  'Transpose': [[1, 'data', 1]],
  'Trilu': [[14, 'input k?', 1]],
  'Unique': [[11, 'X', 4]],
  'Unsqueeze': [[1, 'data', 1, 'axes'], [13, 'data axes', 1]],
  'Upsample': [[1, 'X', 1, 'height_scale width_scale'], [7, 'X', 1, 'scales'], [9, 'X scales', 1]],
  'Where': [[9, 'condition X Y', 1]],
  'Xor': [[1, 'A B', 1]],
  'ai.onnx.ml:ArrayFeatureExtractor': [[1, 'X Y', 1]],
  'ai.onnx.ml:Binarizer': [[1, 'X', 1]],
  'ai.onnx.ml:CastMap': [[1, 'X', 1]],
  'ai.onnx.ml:CategoryMapper': [[1, 'X', 1]],
  'ai.onnx.ml:DictVectorizer': [[1, 'X', 1]],
  'ai.onnx.ml:FeatureVectorizer': [[1, '...X', 1]],
  'ai.onnx.ml:Imputer': [[1, 'X', 1]],
  'ai.onnx.ml:LabelEncoder': [[1, 'X', 1]],
  'ai.onnx.ml:LinearClassifier': [[1, 'X', 2, 'coefficients']],
  'ai.onnx.ml:LinearRegressor': [[1, 'X', 1]],
  'ai.onnx.ml:Normalizer': [[1, 'X', 1]],
  'ai.onnx.ml:OneHotEncoder': [[1, 'X', 1]],
  'ai.onnx.ml:SVMClassifier': [[1, 'X', 2]],
  'ai.onnx.ml:SVMRegressor': [[1, 'X', 1]],
  'ai.onnx.ml:Scaler': [[1, 'X', 1]],
  'ai.onnx.ml:TreeEnsemble': [[5, 'X', 1, 'leaf_targetids leaf_weights nodes_falseleafs nodes_falsenodeids nodes_featureids nodes_modes nodes_splits nodes_trueleafs nodes_truenodeids tree_roots']],
  'ai.onnx.ml:TreeEnsembleClassifier': [[1, 'X', 2]],
  'ai.onnx.ml:TreeEnsembleRegressor': [[1, 'X', 1]],
  'ai.onnx.ml:ZipMap': [[1, 'X', 1]],
  'ai.onnx.preview:FlexAttention': [[1, 'Q K V', 1]],
  'ai.onnx.preview.training:Adagrad': [[1, 'R T ...inputs', -1]],
  'ai.onnx.preview.training:Adam': [[1, 'R T ...inputs', -1]],
  'ai.onnx.preview.training:Gradient': [[1, '...Inputs', -1, 'xs y']],
  'ai.onnx.preview.training:Momentum': [[1, 'R T ...inputs', -1, 'alpha beta mode norm_coefficient']],
};

/**
 * The signature of `key` in force at `opset` (the latest one starting at or
 * below it), or null when the table has none: an operator this onnx does
 * not define, or an opset below the operator's first.
 */
export function signatureAt(key: string, opset: number): Signature | null {
  const list = SIGNATURES[key];
  if (!list) return null;
  let found: Signature | null = null;
  for (const s of list) if (s[0] <= opset) found = s;
  return found;
}

/**
 * Checks a node's input and output names and its attribute names against
 * its operator's signature at `opset` ('' names an absent optional input or
 * unused output). Operators of other domains are checked where their
 * signature never changed (the reader does not track their domains'
 * opsets). Throws
 * `readModel: ONNX operator '<op>' (node '<label>'): <what>`.
 */
export function checkSignature(opType: string, domain: string, opset: number, inputs: readonly string[], outputs: readonly string[], attributes: readonly string[], label = '?'): void {
  const key = domain ? `${domain}:${opType}` : opType;
  const sig = domain ? (SIGNATURES[key]?.length === 1 ? SIGNATURES[key]![0]! : null) : signatureAt(key, opset);
  if (!sig) return;
  const [since, text, maxOut, required] = sig;
  const version = `${domain ? `${domain}.` : ''}${opType}-${since}`;
  const fail = (why: string): Error => new Error(`readModel: ONNX operator '${opType}' (node '${label}'): ${why}`);
  const formal = text ? text.split(' ') : [];
  const given = (i: number): boolean => !!inputs[i];
  let variadic = false;
  formal.forEach((f, i) => {
    if (f.startsWith('...')) {
      variadic = true;
      const m = /^\.\.\.(.*?)(\*|\{(\d+)\})?$/.exec(f)!;
      const least = m[2] === '*' ? 0 : m[3] ? Number(m[3]) : 1;
      const count = inputs.slice(i).filter((n) => !!n).length;
      if (count < least) throw fail(`${version} takes at least ${least} '${m[1]}' input${least > 1 ? 's' : ''}${i ? ` from input ${i} on` : ''}, got ${count}`);
      return;
    }
    if (!f.endsWith('?') && !given(i)) throw fail(`input ${i} ('${f}') of ${version} is required but ${i < inputs.length ? "named ''" : 'absent'}`);
  });
  const lastInput = inputs.reduce((k, n, i) => (n ? i : k), -1);
  if (!variadic && lastInput >= formal.length) throw fail(`${lastInput + 1} inputs named, ${version} takes at most ${formal.length} (${formal.map((f) => f.replace(/\?$/, '')).join(', ') || 'none'})`);
  const lastOutput = outputs.reduce((k, n, i) => (n ? i : k), -1);
  if (maxOut >= 0 && lastOutput >= maxOut) throw fail(`${lastOutput + 1} outputs named, ${version} gives at most ${maxOut}`);
  for (const a of required ? required.split(' ') : []) if (!attributes.includes(a)) throw fail(`attribute '${a}' of ${version} is required but absent`);
}
