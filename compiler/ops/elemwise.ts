/**
 * MXNet's `elemwise_add` / `elemwise_sub` / `elemwise_mul` / `elemwise_div` (and `add_n`, below):
 * the broadcasting operators' values, kernels, lowerings and gradients
 * (elementwise.ts) on two inputs of the same shape; different shapes are an
 * error, as in MXNet (src/operator/tensor/elemwise_binary_op.h,
 * ElemwiseShape). Example: `F.elemwiseAdd(out, x)` (the model zoo's
 * MobileNetV2 shortcut).
 */
import { formatShape } from '../../runtime/tensor.js';
import { ADD, DIV, MUL, SUB, binary, commonDType, truncDiv } from './elementwise.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { mapN } from './kernels.js';
import { isFloat } from '../../runtime/dtypes.js';

/** `lhs + rhs` of equal shapes. */
export const elemwiseAdd = binary('elemwiseAdd', 'Add', (a, b) => a + b, { ...ADD, sameShape: true });
/** `lhs - rhs` of equal shapes. */
export const elemwiseSub = binary('elemwiseSub', 'Sub', (a, b) => a - b, { ...SUB, sameShape: true });
/** `lhs * rhs` of equal shapes. */
export const elemwiseMul = binary('elemwiseMul', 'Mul', (a, b) => a * b, { ...MUL, sameShape: true });
/** `lhs / rhs` of equal shapes (integers truncate toward zero). */
export const elemwiseDiv = binary('elemwiseDiv', 'Div', truncDiv, { ...DIV, sameShape: true });

/**
 * MXNet's `add_n` (`ElementWiseSum`): the sum of one or more inputs of one
 * shape and dtype (no broadcasting, as MXNet's ElementWiseSumShape), added
 * left to right in the dtype (ONNX Adds in a chain); each input's gradient
 * is the head gradient. Example: `F.addN(a, b, c)` (the Tree-LSTM's sum of
 * its children's hidden states).
 */
export const addN: OpDef<(...args: Tx[]) => Tx> = defineOp<(...args: Tx[]) => Tx>({
  name: 'addN',
  inputs: ['...args'],
  infer: (types) => {
    if (types.length === 0) throw new OpError('addN', 'needs at least one input', types);
    const dtype = commonDType('addN', types, ADD.dtypes);
    const s = types[0]!.shape;
    for (const t of types) {
      if (t.shape.length !== s.length || t.shape.some((d, i) => typeof d === 'number' && typeof s[i] === 'number' && d !== s[i])) {
        throw new OpError('addN', `needs inputs of one shape (it does not broadcast), got ${types.map((x) => formatShape(x.shape)).join(', ')}`, types);
      }
    }
    // A symbolic dimension yields to a number in another input.
    return [{ dtype, shape: s.map((d, i) => types.map((t) => t.shape[i]!).find((e) => typeof e === 'number') ?? d) }];
  },
  lower: (c) => {
    if (c.inputs.length === 1) return void c.emit('Identity', c.inputs, {}, c.outputs);
    let acc = c.inputs[0]!;
    c.inputs.slice(1).forEach((x, k) => {
      acc = k === c.inputs.length - 2 ? (c.emit('Add', [acc, x], {}, c.outputs), '') : c.emit('Add', [acc, x])[0]!;
    });
  },
  kernel: (ins, _a, [out]) => {
    // Left to right, rounded to float32 after each addition where the output is float32 (as the chained Adds).
    const f32 = out!.dtype === 'float32';
    return [mapN(ins, out!, (...xs) => {
      let acc = xs[0]!;
      for (let k = 1; k < xs.length; k++) acc = f32 ? Math.fround(acc + xs[k]!) : acc + xs[k]!;
      return acc;
    })];
  },
  grad: (_F, { inTypes }, [g]) => inTypes.map((t) => (g && isFloat(t.dtype) ? g : null)),
});

/** The same-shape element-wise operators, by F name (`ElementWiseSum` is MXNet's other name of `add_n`). */
export const ELEMWISE_OPS = { elemwiseAdd, elemwiseSub, elemwiseMul, elemwiseDiv, addN, ElementWiseSum: addN } as const;
