/**
 * MXNet's `linalg_gemm` on matrices: `alpha · op(A) · op(B) + beta · C`,
 * one ONNX Gemm. The `fuse-gemm` pass builds it from a matrix product that
 * is scaled and added to a tensor of its shape (an optimizer's update of a
 * weight gradient), so the accumulation is part of the product's pass.
 * Invariants: A and B are matrices (rank 2), C has the product's shape;
 * float32 and float64, and float16 computed in float32 and rounded once
 * (onnxruntime's CPU Gemm has no float16; as the other float16 operators).
 */
import type { DType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import { compatible, fmt, matmulF64, permute, pick } from './linalg.js';

type GemmAttrs = Attrs & { transposeA: boolean; transposeB: boolean; alpha: number; beta: number };

/** The options of `linalgGemm`. */
export interface GemmOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  alpha?: number;
  beta?: number;
}

const GEMM_DTYPES: DType[] = ['float32', 'float64', 'float16'];

function gemmShape(types: TensorType[], a: GemmAttrs): [TensorType['shape'][number], TensorType['shape'][number], TensorType['shape'][number]] {
  const [l, r, c] = types.map((t) => t.shape);
  if (l!.length !== 2 || r!.length !== 2 || c!.length !== 2) {
    throw new OpError('linalgGemm', `needs matrices (rank 2) A, B and C, got ${fmt(l!)}, ${fmt(r!)} and ${fmt(c!)}`, types);
  }
  for (const [k, v] of [['alpha', a.alpha], ['beta', a.beta]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new OpError('linalgGemm', `${k} must be a finite number, got ${JSON.stringify(v)}`, types);
  }
  const [m, ka] = a.transposeA ? [l![1]!, l![0]!] : [l![0]!, l![1]!];
  const [kb, n] = a.transposeB ? [r![1]!, r![0]!] : [r![0]!, r![1]!];
  if (!compatible(ka, kb)) {
    throw new OpError('linalgGemm', `inner dimensions do not match: op(A) is [${m}, ${ka}], op(B) is [${kb}, ${n}] (transposeA=${a.transposeA}, transposeB=${a.transposeB})`, types);
  }
  if (!compatible(c![0]!, m) || !compatible(c![1]!, n)) {
    throw new OpError('linalgGemm', `C has shape ${fmt(c!)} but the product has [${m}, ${n}]`, types);
  }
  return [pick(c![0]!, m), pick(c![1]!, n), pick(ka, kb)];
}

type GemmSig = (a: Tx, b: Tx, c: Tx, options?: GemmOptions) => Tx;

/**
 * MXNet `linalg_gemm` (matrices): `alpha · op(A) · op(B) + beta · C`, where
 * `op` transposes its operand when `transposeA`/`transposeB` is set.
 * Example: `F.linalgGemm(a, b, c, { transposeA: true, alpha: -0.1, beta: 0.9 })`.
 */
export const linalgGemm: OpDef<GemmSig, GemmAttrs> = defineOp<GemmSig, GemmAttrs>({
  name: 'linalgGemm',
  inputs: ['A', 'B', 'C'],
  attrs: { transposeA: false, transposeB: false, alpha: 1, beta: 1 },
  infer: (types, a) => {
    const [m, n] = gemmShape(types, a);
    return [{ dtype: commonDType('linalgGemm', types, GEMM_DTYPES), shape: [m, n] }];
  },
  lower: float16InFloat32<GemmAttrs>((c, a) => {
    c.emit('Gemm', c.inputs, { transA: a.transposeA ? 1 : 0, transB: a.transposeB ? 1 : 0, alpha: { float: a.alpha }, beta: { float: a.beta } }, c.outputs);
  }),
  kernel: ([l, r, cc], a, [out]) => {
    const [m, n, k] = gemmShape([l!, r!, cc!], a) as [number, number, number];
    const lhs = a.transposeA ? permute(toF64(l!), l!.shape, [1, 0]) : toF64(l!);
    const rhs = a.transposeB ? permute(toF64(r!), r!.shape, [1, 0]) : toF64(r!);
    const y = matmulF64(lhs, rhs, 1, m, k, n);
    const cv = toF64(cc!);
    for (let i = 0; i < y.length; i++) y[i] = a.alpha * y[i]! + a.beta * cv[i]!;
    return [fromF64(out!, y)];
  },
  // dA = alpha · g · op(B)ᵀ (transposed back when A was), dB likewise, dC = beta · g.
  grad: (F, { inputs: [l, r], attrs }, [g]) => {
    if (!g) return [null, null, null];
    const a = attrs as GemmAttrs;
    const dl = a.transposeA ? F.dot(r!, g, { transposeA: a.transposeB, transposeB: true }) : F.dot(g, r!, { transposeB: !a.transposeB });
    const dr = a.transposeB ? F.dot(g, l!, { transposeA: true, transposeB: a.transposeA }) : F.dot(l!, g, { transposeA: !a.transposeA });
    const scale = (t: typeof g, s: number) => (s === 1 ? t : F.mul(t, s));
    return [scale(dl, a.alpha), scale(dr, a.alpha), scale(g, a.beta)];
  },
});

/** The gemm operator by F name. */
export const GEMM_OPS = { linalgGemm } as const;
