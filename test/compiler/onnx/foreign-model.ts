/**
 * Test helper: an ONNX model as another tool would write it (producer
 * 'other-tool', no gluonc doc strings), for the reader and importer tests.
 * Inputs are float32 of the given shapes; outputs carry what is given of
 * their type (a dtype, a shape, or neither).
 *
 * ```ts
 * const bytes = foreignModel([{ opType: 'Relu', input: ['x'], output: ['y'] }], [['x', [2]]], [['y', { dtype: 'float32' }]]);
 * ```
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import type { Shape } from '../../../compiler/ir/types.js';
import { onnx, tensorProto, valueInfo } from '../../../compiler/onnx/index.js';
import type { DType } from '../../../runtime/dtypes.js';
import type { HostTensor } from '../../../runtime/tensor.js';

/** The model's bytes (see the module comment). */
export function foreignModel(nodes: OnnxNs.INodeProto[], inputs: [string, Shape][], outputs: [string, { dtype: DType; shape?: Shape }][], inits: [string, HostTensor][] = [], opset = 17): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'other-tool',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes,
      input: inputs.map(([n, s]) => valueInfo(n, { dtype: 'float32', shape: s })),
      output: outputs.map(([n, t]) => valueInfo(n, t)),
      initializer: inits.map(([n, t]) => tensorProto(n, t)),
    },
  }).finish();
}
