/**
 * Applying an operator's type rule to concrete input types: the one step
 * tracing, the passes, the ONNX reader and eager execution share before
 * they create a node or run a kernel.
 */
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import type { OpDef } from './define.js';

/**
 * The type rule's output types for concrete inputs, with attributes normalized.
 *
 * ```ts
 * const { attrs, outTypes } = inferOp(getOp('relu'), [{ dtype: 'float32', shape: [2] }], {});
 * ```
 */
export function inferOp(def: OpDef, types: TensorType[], attrs: Attrs): { attrs: Attrs; outTypes: TensorType[] } {
  const a = def.normalize ? def.normalize(attrs, types) : attrs;
  return { attrs: a, outTypes: def.infer(types, a) };
}
