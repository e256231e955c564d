/**
 * The one list of operators: every family's table, merged. `F` (both `nd`
 * and `sym`), the tensor methods, the registry and the table-driven operator
 * test are all generated from it; nothing else lists operators.
 */
import { BITCAST_OPS } from './bitcast.js';
import { BITWISE_OPS } from './bitwise.js';
import { BOX_OPS } from './box-ops.js';
import { BROADCAST_OPS } from './broadcast.js';
import { CONV_OPS } from './conv.js';
import { CONV_COLUMN_OPS } from './conv-columns.js';
import { CONTRIB_OPS } from './contrib.js';
import { CREATION_OPS } from './creation.js';
import { CTC_OPS } from './ctc.js';
import { CUMSUM_OPS } from './cumsum.js';
import { DEFORMABLE_CONV_OPS } from './deformable-conv.js';
import { DEFORMABLE_CONV_V1_OPS } from './deformable-conv-v1.js';
import { DENSE_OPS } from './dense.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { ELEMWISE_OPS } from './elemwise.js';
import { GEMM_OPS } from './gemm.js';
import { GROUP_NORM_OPS } from './group-norm.js';
import { HEAD_OPS } from './heads.js';
import { IMAGE_DECODER_OPS } from './image-decoder.js';
import { INDEX_OPS } from './index-ops.js';
import { JOIN_SPLIT_OPS } from './join-split.js';
import { LINALG_OPS } from './linalg.js';
import { LOOP_OPS } from './loop.js';
import { LOOP_GRAD_OPS } from './loop-grad.js';
import { MASKED_SOFTMAX_OPS } from './masked-softmax.js';
import { MULTIBOX_OPS } from './multibox.js';
import { NN_OPS } from './nn.js';
import { FFT_OPS } from './fft.js';
import { FMOD_OPS } from './fmod.js';
import { DATA_DEPENDENT_OPS } from './data-dependent.js';
import { NORM_OPS } from './norm.js';
import { PAD_OPS } from './pad.js';
import { POOL_OPS } from './pool.js';
import { QUANTIZED_OPS } from './quantized.js';
import { NARROW_CAST_OPS } from './narrow-cast.js';
import { MULTINOMIAL_OPS } from './multinomial.js';
import { RANDOM_OPS } from './random.js';
import { REDUCE_OPS } from './reduce.js';
import { ROI_OPS } from './roi.js';
import { ROI_ALIGN_OPS } from './roi-align.js';
import { RNN_GRAD_OPS } from './rnn-grad-scan.js';
import { RNN_OPS } from './rnn.js';
import { RNN_PARAM_OPS } from './rnn-param.js';
import { RNN_TRAIN_OPS } from './rnn-train.js';
import { SCATTER_OPS } from './scatter.js';
import { SCATTER_REDUCE_OPS } from './scatter-reduce.js';
import { SEQUENCE_OPS } from './sequence.js';
import { SHAPE_OPS } from './shape.js';
import { SORT_OPS } from './sort.js';
import { TRIANGULAR_OPS } from './triangular.js';
import { UNPOOL_OPS } from './unpool.js';

/** Every operator by F name (aliases map to the same declaration). */
export const OPS = {
  ...ELEMENTWISE_OPS,
  ...ELEMWISE_OPS,
  ...BITWISE_OPS,
  ...BITCAST_OPS,
  ...REDUCE_OPS,
  ...SHAPE_OPS,
  ...JOIN_SPLIT_OPS,
  ...BROADCAST_OPS,
  ...INDEX_OPS,
  ...DATA_DEPENDENT_OPS,
  ...IMAGE_DECODER_OPS,
  ...BOX_OPS,
  ...MULTIBOX_OPS,
  ...PAD_OPS,
  ...LINALG_OPS,
  ...GEMM_OPS,
  ...DENSE_OPS,
  ...CONV_OPS,
  ...CONV_COLUMN_OPS,
  ...DEFORMABLE_CONV_OPS,
  ...DEFORMABLE_CONV_V1_OPS,
  ...QUANTIZED_OPS,
  ...NARROW_CAST_OPS,
  ...POOL_OPS,
  ...UNPOOL_OPS,
  ...ROI_OPS,
  ...ROI_ALIGN_OPS,
  ...NN_OPS,
  ...HEAD_OPS,
  ...CTC_OPS,
  ...FFT_OPS,
  ...FMOD_OPS,
  ...RANDOM_OPS,
  ...MULTINOMIAL_OPS,
  ...NORM_OPS,
  ...CREATION_OPS,
  ...CONTRIB_OPS,
  ...TRIANGULAR_OPS,
  ...MASKED_SOFTMAX_OPS,
  ...CUMSUM_OPS,
  ...SCATTER_OPS,
  ...SCATTER_REDUCE_OPS,
  ...GROUP_NORM_OPS,
  ...SORT_OPS,
  ...SEQUENCE_OPS,
  ...RNN_OPS,
  ...RNN_PARAM_OPS,
  ...RNN_GRAD_OPS,
  ...RNN_TRAIN_OPS,
  ...LOOP_OPS,
  ...LOOP_GRAD_OPS,
} as const;

/** The F names of all operators. */
export type OpName = keyof typeof OPS;
