/**
 * What the ROI operator tests share (roi-align.test.ts, roi-pooling-grad.test.ts):
 * the deterministic data, the float64 numpy reference call (a transcription
 * from cases/roi.ts), the eager/hybridized output-and-gradient check against
 * it, and the directional central finite difference in float64.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

/** Deterministic values in [-1, 1). */
export const wave = (n: number, k = 1): number[] => Array.from({ length: n }, (_v, i) => Math.sin(0.7 * i * k + 0.3 * k));

/** One fixed case: the data's shape, the boxes `[batch, x1, y1, x2, y2]`, the operator's options, fixed data (default: wave). */
export interface RoiCase<O> {
  label: string;
  shape: [number, number, number, number];
  rois: number[][];
  opts: O;
  x?: number[];
}

/**
 * The reference output and data gradient of `gy` for a float64 job: `ref`
 * defines the transcription, `call` is the numpy expression giving `(y, gx)`
 * from `a` (data), `b` (boxes), `c` (gy), `args` and `attrs` (the options).
 */
export function roiReference<O>(ref: string, call: string, c: RoiCase<O>, x: number[], gy: number[], outShape: number[]): { y: number[]; gx: number[] } {
  const [r] = numpyRefs([
    {
      code: `${ref}\ny, gx = ${call}\nout = [y, gx]`,
      inputs: [
        { shape: c.shape, dtype: 'float64', data: x },
        { shape: [c.rois.length, 5], dtype: 'float64', data: c.rois.flat() },
        { shape: outShape, dtype: 'float64', data: gy },
      ],
      attrs: c.opts as Record<string, unknown>,
    },
  ]);
  assert.equal(r!.error, undefined, r!.error);
  return { y: r!.outs[0]!.data as number[], gx: r!.outs[1]!.data as number[] };
}

/** How one fixed case runs: the pooling (eager or the hybridized block), the output gradient, the reference and the tolerances. */
export interface RoiGradRun<O> {
  dtype: 'float32' | 'float64';
  pool: (x: nd.NDArray, rois: nd.NDArray) => nd.NDArray;
  /** The output gradient for an output of `n` values. */
  outGrad: (n: number) => number[];
  reference: (c: RoiCase<O>, x: number[], gy: number[], outShape: number[]) => { y: number[]; gx: number[] };
  tol: [rtol: number, atol: number];
}

/** A HybridBlock applying an ROI operator `op(F, data, rois, opts)`. */
export class RoiBlock<O> extends gluon.HybridBlock {
  constructor(
    readonly op: (F: gluon.F, x: gluon.Tensor, rois: gluon.Tensor, opts: O) => gluon.Tensor,
    private readonly opts: O,
  ) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, r: gluon.Tensor): gluon.Tensor {
    return this.op(F, x, r, this.opts);
  }
}

/** An ROI operator as the fixed cases run it: its two names in the titles, eager and as a block to hybridize, and the check's terms. */
export interface RoiOp<O> {
  /** `nd.ROIPooling` style and `F.ROIPooling` style, for the titles. */
  names: [eager: string, hybrid: string];
  eager: (x: nd.NDArray, rois: nd.NDArray, opts: O) => nd.NDArray;
  /** The operator in a HybridBlock's hybridForward (a RoiBlock runs it). */
  hybrid: RoiBlock<O>['op'];
  outGrad: RoiGradRun<O>['outGrad'];
  reference: RoiGradRun<O>['reference'];
  tol: (dtype: 'float32' | 'float64') => [rtol: number, atol: number];
}

/** One test per case, dtype (float32, float64) and form (eager, hybridized): `checkRoiGrad` against MXNet's loops. */
export function itChecksRoiGrad<O>(cases: readonly RoiCase<O>[], op: RoiOp<O>): void {
  for (const c of cases) {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const hybrid of [false, true]) {
        it(`${c.label}, ${dtype}, ${hybrid ? `hybridized ${op.names[1]}` : `eager ${op.names[0]}`}: output and data gradient vs MXNet's loops`, () => {
          const net = new RoiBlock(op.hybrid, c.opts);
          if (hybrid) net.hybridize();
          checkRoiGrad(c, {
            dtype,
            pool: (x, rois) => (hybrid ? (net.call(x, rois) as nd.NDArray) : op.eager(x, rois, c.opts)),
            outGrad: op.outGrad,
            reference: op.reference,
            tol: op.tol(dtype),
          });
        });
      }
    }
  }
}

/**
 * Pools case `c` under autograd.record with `sum(y * gy)` as the loss and
 * compares the output and the data's gradient with the reference; the
 * boxes' gradient must be 0 (MXNet's backward writes zeros for them).
 */
function checkRoiGrad<O>(c: RoiCase<O>, run: RoiGradRun<O>): void {
  const { dtype, tol: [rtol, atol] } = run;
  const xs = c.x ?? wave(c.shape.reduce((p, q) => p * q));
  const x = nd.array(xs, { shape: c.shape, dtype });
  const rois = nd.array(c.rois.flat(), { shape: [c.rois.length, 5], dtype });
  x.attachGrad();
  rois.attachGrad();
  let y: nd.NDArray | null = null;
  let gy: nd.NDArray | null = null;
  autograd.record(() => {
    y = run.pool(x, rois);
    gy = nd.array(run.outGrad(y.size), { shape: y.shape, dtype });
    return nd.sum(nd.mul(y, gy));
  }).backward();
  const ref = run.reference(c, xs, Array.from(gy!.data() as Float64Array), y!.shape);
  assertClose(y!.data() as Float32Array, ref.y, 'output', rtol, atol);
  assertClose(x.grad.data() as Float32Array, ref.gx, 'data gradient', rtol, atol);
  assert.ok(Array.from(rois.grad.data() as Float32Array).every((v) => v === 0), 'rois gradient is 0 (MXNet writes zeros)');
}

/**
 * The derivative of `loss` at `x0` (float64, shape `shape`) along the
 * direction wave(n, 7): by central differences of `f` (step `eps`) and from
 * `loss`'s gradient under autograd.record. `f` and `loss` are the same
 * function reached two ways (say npx positional and nd with options).
 */
export function directionalDerivative(
  shape: number[],
  x0: number[],
  f: (x: nd.NDArray) => nd.NDArray,
  loss: (x: nd.NDArray) => nd.NDArray,
  eps: number,
): { fd: number; analytic: number } {
  const at = (v: number[]): number => f(nd.array(v, { shape, dtype: 'float64' })).item();
  const x = nd.array(x0, { shape, dtype: 'float64' });
  x.attachGrad();
  autograd.record(() => loss(x)).backward();
  const dir = wave(x0.length, 7);
  const fd = (at(x0.map((v, i) => v + eps * dir[i]!)) - at(x0.map((v, i) => v - eps * dir[i]!))) / (2 * eps);
  const analytic = Array.from(x.grad.data() as Float64Array).reduce((s, g, i) => s + g * dir[i]!, 0);
  return { fd, analytic };
}
