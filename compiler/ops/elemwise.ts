/**
 * MXNet's `elemwise_add` / `elemwise_sub` / `elemwise_mul` / `elemwise_div`:
 * the broadcasting operators' values, kernels, lowerings and gradients
 * (elementwise.ts) on two inputs of the same shape; different shapes are an
 * error, as in MXNet (src/operator/tensor/elemwise_binary_op.h,
 * ElemwiseShape). Example: `F.elemwiseAdd(out, x)` (the model zoo's
 * MobileNetV2 shortcut).
 */
import { ADD, DIV, MUL, SUB, binary, truncDiv } from './elementwise.js';

/** `lhs + rhs` of equal shapes. */
export const elemwiseAdd = binary('elemwiseAdd', 'Add', (a, b) => a + b, { ...ADD, sameShape: true });
/** `lhs - rhs` of equal shapes. */
export const elemwiseSub = binary('elemwiseSub', 'Sub', (a, b) => a - b, { ...SUB, sameShape: true });
/** `lhs * rhs` of equal shapes. */
export const elemwiseMul = binary('elemwiseMul', 'Mul', (a, b) => a * b, { ...MUL, sameShape: true });
/** `lhs / rhs` of equal shapes (integers truncate toward zero). */
export const elemwiseDiv = binary('elemwiseDiv', 'Div', truncDiv, { ...DIV, sameShape: true });

/** The same-shape element-wise operators, by F name. */
export const ELEMWISE_OPS = { elemwiseAdd, elemwiseSub, elemwiseMul, elemwiseDiv } as const;
