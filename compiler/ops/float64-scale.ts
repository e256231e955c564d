/**
 * float64 scaling by a one-element constant, kept out of onnxruntime 1.30's
 * MatMulScaleFusion (which folds such a Mul/Div next to a MatMul into
 * FusedMatMul's float32 `alpha`, even in a float64 graph): the element-wise
 * Mul/Div (`guardFloat64Scale`) and other operators that scale by a constant
 * (`divSqrtDim`) expand the scale along a concrete dimension.
 */
import type { TensorType } from '../ir/types.js';
import type { LowerCtx } from './define.js';

/**
 * The inputs of a float64 Mul/Div with each one-element operand (at `sides`)
 * expanded to a few elements: onnxruntime 1.30's MatMulScaleFusion folds a
 * one-element constant Mul/Div next to a MatMul into FusedMatMul's float32
 * `alpha` even in a float64 graph, so `dot(g · (1/√3), W)` lost float64
 * precision (fixed upstream later: it now refuses an inexact double scale).
 * The scale is expanded along the output's last concrete dimension above 1
 * (`[d, 1, ..., 1]`, broadcasting to the same output; onnxruntime folds the
 * Expand of a constant into a d-element constant, which is not a scalar);
 * without such a dimension the inputs stay as they are.
 */
export function guardFloat64Scale(c: LowerCtx, sides: number[]): string[] {
  return c.inputs.map((name, i) => {
    const one = c.inTypes[i]!.shape.every((d) => d === 1);
    return sides.includes(i) && one && !c.inTypes[1 - i]!.shape.every((d) => d === 1) ? float64Scale(c, name, c.outTypes[0]!) : name;
  });
}

/**
 * A one-element scale operand `name` of a Mul/Div whose output is `out`,
 * made safe from MatMulScaleFusion (see guardFloat64Scale): in a float64
 * output, expanded along its last concrete dimension above 1; otherwise (or
 * without such a dimension) `name` itself. Other operators that scale by a
 * constant (divSqrtDim) emit their Mul through it.
 */
export function float64Scale(c: LowerCtx, name: string, out: TensorType): string {
  if (out.dtype !== 'float64') return name;
  const k = [...out.shape].reverse().findIndex((d) => typeof d === 'number' && d > 1);
  if (k < 0) return name;
  const target = [out.shape[out.shape.length - 1 - k] as number, ...Array.from({ length: k }, () => 1)];
  return c.emit('Expand', [name, c.ints(target)])[0]!;
}
