/**
 * Group and instance normalization with MXNet's names: `GroupNorm(data,
 * gamma, beta, { numGroups, eps })` splits the channels (axis 1) of
 * `[N, C, ...]` into `numGroups` groups and standardizes each group of each
 * sample (biased variance), then scales and shifts per channel;
 * `InstanceNorm(data, gamma, beta, { eps })` is the case of one group per
 * channel. `gamma`/`beta` have shape `[C]` (MXNet 2.x, the paper); GroupNorm
 * also takes MXNet 1.x's per-group `[numGroups]`.
 * Invariant: the output has the data's type; statistics are not outputs.
 */
import type { DType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type GradRule, type LowerCtx, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { sameDim } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import type { GradOps, GradTensor } from './grad-ops.js';

const FLOATS: DType[] = ['float32', 'float64', 'float16'];

type GroupA = Attrs & { numGroups: number; eps: number };

interface Geometry {
  groups: number;
  /** True when gamma/beta hold one value per group (MXNet 1.x) rather than per channel. */
  perGroup: boolean;
}

/** Checks a normalization's inputs; the number of groups (InstanceNorm: C) and the gamma layout. */
function geometry(op: string, types: TensorType[], groupsAttr: number | null, eps: unknown): Geometry {
  const [x, gamma, beta] = types as [TensorType, TensorType, TensorType];
  commonDType(op, types, FLOATS);
  if (x.shape.length < 2) throw new OpError(op, `data must be [N, C, ...] (at least 2 dimensions), got [${x.shape.join(', ')}]`, types);
  if (typeof eps !== 'number' || !(eps >= 0)) throw new OpError(op, `eps must be a non-negative number, got ${JSON.stringify(eps)}`, types);
  const c = x.shape[1]!;
  let groups: number;
  if (groupsAttr === null) {
    if (typeof c !== 'number') throw new OpError(op, `the number of channels must be known, got ${c}`, types);
    groups = c;
  } else {
    if (!Number.isInteger(groupsAttr) || groupsAttr < 1) throw new OpError(op, `numGroups must be a positive integer, got ${JSON.stringify(groupsAttr)}`, types);
    if (typeof c === 'number' && c % groupsAttr !== 0) throw new OpError(op, `${c} channels cannot be split into ${groupsAttr} groups`, types);
    groups = groupsAttr;
  }
  const okShape = (s: Shape, n: Dim) => s.length === 1 && (sameDim(s[0]!, n) || s[0] === 0);
  const perGroup = groupsAttr !== null && !okShape(gamma.shape, c) && okShape(gamma.shape, groups);
  const want: Dim = perGroup ? groups : c;
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (!okShape(t.shape, want)) {
      throw new OpError(op, `${name} must have shape [${c}] (one value per channel${groupsAttr !== null ? ` or, as MXNet 1.x, [${groups}] per group` : ''}), got [${t.shape.join(', ')}]`, types);
    }
  }
  return { groups, perGroup };
}

/** Standardized data as ONNX nodes: `[N, G, rest]` moments, then back to the data's shape. */
function lowerNorm(c: LowerCtx, g: Geometry, eps: number): void {
  const d = c.inTypes[0]!.dtype;
  const r = c.inTypes[0]!.shape.length;
  const [x, gamma, beta] = c.inputs as [string, string, string];
  const [xr] = c.emit('Reshape', [x, c.ints([0, g.groups, -1])]);
  const mean = (v: string) => c.emit('ReduceMean', [v, c.ints([2])], { keepdims: 1 })[0]!;
  const m = mean(xr!);
  const [dev] = c.emit('Sub', [xr!, m]);
  const v = mean(c.emit('Mul', [dev!, dev!])[0]!);
  const [sd] = c.emit('Sqrt', [c.emit('Add', [v, c.scalar(eps, d)])[0]!]);
  let [y] = c.emit('Div', [dev!, sd!]);
  if (g.perGroup) {
    const sh = c.ints([1, -1, 1]);
    y = c.emit('Add', [c.emit('Mul', [y!, c.emit('Reshape', [gamma, sh])[0]!])[0]!, c.emit('Reshape', [beta, sh])[0]!])[0]!;
    return void c.emit('Reshape', [y!, c.emit('Shape', [x])[0]!], {}, c.outputs);
  }
  const [back] = c.emit('Reshape', [y!, c.emit('Shape', [x])[0]!]);
  const sh = c.ints([1, -1, ...Array<number>(r - 2).fill(1)]);
  const [scaled] = c.emit('Mul', [back!, c.emit('Reshape', [gamma, sh])[0]!]);
  c.emit('Add', [scaled!, c.emit('Reshape', [beta, sh])[0]!], {}, c.outputs);
}

function kernelNorm([x, gamma, beta]: HostTensor[], g: Geometry, eps: number, out: TensorType): HostTensor[] {
  const v = toF64(x!);
  const gv = toF64(gamma!);
  const bv = toF64(beta!);
  const [n, c] = x!.shape as [number, number];
  const spatial = x!.shape.slice(2).reduce((p, q) => p * q, 1);
  const per = (c / g.groups) * spatial;
  const res = new Float64Array(v.length);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < g.groups; k++) {
      const base = (s * g.groups + k) * per;
      let mean = 0;
      for (let i = 0; i < per; i++) mean += v[base + i]!;
      mean /= per;
      let vr = 0;
      for (let i = 0; i < per; i++) vr += (v[base + i]! - mean) ** 2;
      const sd = Math.sqrt(vr / per + eps);
      for (let i = 0; i < per; i++) {
        const ch = k * (c / g.groups) + Math.floor(i / spatial);
        const p = g.perGroup ? k : ch;
        res[base + i] = ((v[base + i]! - mean) / sd) * gv[p]! + bv[p]!;
      }
    }
  }
  return [fromF64(out, res)];
}

/**
 * The gradient written with F on `[N, G, rest]` views: with x̂ the
 * standardized data, σ the group's deviation and d = g·γ,
 * dx = (d - mean(d) - x̂·mean(d·x̂)) / σ; dγ = Σ g·x̂ and dβ = Σ g over all
 * but the channel (or group) axis.
 */
function gradNorm(geo: (types: TensorType[], a: Attrs) => Geometry, epsOf: (a: Attrs) => number): GradRule {
  return (F: GradOps, { inputs: [x, gamma], inTypes, attrs }, [g]) => {
    if (!g) return [null, null, null];
    const { groups, perGroup } = geo(inTypes, attrs);
    const r = inTypes[0]!.shape.length;
    const xr = F.reshape(x!, [0, groups, -1]);
    const mean = (t: GradTensor) => F.mean(t, { axis: 2, keepdims: true });
    const dev = F.sub(xr, mean(xr));
    const inv = F.rsqrt(F.add(mean(F.square(dev)), epsOf(attrs)));
    const xhat = F.mul(dev, inv);
    const gr = F.reshape(g, [0, groups, -1]);
    let d: GradTensor;
    let dgamma: GradTensor;
    let dbeta: GradTensor;
    if (perGroup) {
      d = F.mul(gr, F.reshape(gamma!, [1, -1, 1]));
      dgamma = F.sum(F.mul(gr, xhat), { axis: [0, 2] });
      dbeta = F.sum(gr, { axis: [0, 2] });
    } else {
      const gb = F.reshape(gamma!, [1, -1, ...Array<number>(r - 2).fill(1)]);
      d = F.reshape(F.mul(g, gb), [0, groups, -1]);
      dgamma = F.sum(F.mul(g, F.reshapeLike(xhat, x!)), { axis: 1, exclude: true });
      dbeta = F.sum(g, { axis: 1, exclude: true });
    }
    const dxr = F.mul(F.sub(F.sub(d, mean(d)), F.mul(xhat, mean(F.mul(d, xhat)))), inv);
    return [F.reshapeLike(dxr, x!), dgamma, dbeta];
  };
}

/** Deferred gamma/beta (`[0]`) get one value per channel. */
function solveChannels(types: TensorType[]): (Shape | undefined)[] {
  const c = types[0]!.shape[1];
  const fill = (t: TensorType) => (t.shape.length === 1 && t.shape[0] === 0 && typeof c === 'number' ? [c] : undefined);
  return [undefined, fill(types[1]!), fill(types[2]!)];
}

type GroupSig = (data: Tx, gamma: Tx, beta: Tx, ...rest: PositionalOptions<{ numGroups?: number; eps?: number }, ['numGroups', 'eps']>) => Tx;

const groupGeo = (types: TensorType[], a: Attrs) => geometry('GroupNorm', types, a['numGroups'] as number, a['eps']);

/**
 * MXNet `GroupNorm`: the channels of `[N, C, ...]` in `numGroups` groups,
 * each group of each sample standardized, then `* gamma + beta` per channel.
 * Example: `F.GroupNorm(x, gamma, beta, { numGroups: 4 })`.
 */
export const GroupNorm: OpDef<GroupSig, GroupA> = defineOp<GroupSig, GroupA>({
  name: 'GroupNorm',
  inputs: ['data', 'gamma', 'beta'],
  params: ['gamma', 'beta'],
  attrs: { numGroups: 1, eps: 1e-5 },
  positional: ['numGroups', 'eps'],
  infer: (types, a) => {
    groupGeo(types, a);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  solve: solveChannels,
  lower: float16InFloat32<GroupA>((c, a) => lowerNorm(c, groupGeo(c.inTypes, a), a.eps)),
  kernel: (ins, a, [out]) => kernelNorm(ins, groupGeo(ins.map((t) => ({ dtype: t.dtype, shape: t.shape })), a), a.eps, out!),
  grad: gradNorm(groupGeo, (a) => a['eps'] as number),
});

type InstanceA = Attrs & { eps: number };

type InstanceSig = (data: Tx, gamma: Tx, beta: Tx, ...rest: PositionalOptions<{ eps?: number }, ['eps']>) => Tx;

const instanceGeo = (types: TensorType[], a: Attrs) => geometry('InstanceNorm', types, null, a['eps']);

/**
 * MXNet `InstanceNorm`: each channel of each sample of `[N, C, ...]`
 * standardized over its spatial positions, then `* gamma + beta` (default
 * eps 1e-3, as MXNet). Example: `F.InstanceNorm(x, gamma, beta, { eps: 1e-5 })`.
 */
export const InstanceNorm: OpDef<InstanceSig, InstanceA> = defineOp<InstanceSig, InstanceA>({
  name: 'InstanceNorm',
  inputs: ['data', 'gamma', 'beta'],
  params: ['gamma', 'beta'],
  attrs: { eps: 1e-3 },
  positional: ['eps'],
  infer: (types, a) => {
    instanceGeo(types, a);
    return [{ dtype: types[0]!.dtype, shape: [...types[0]!.shape] }];
  },
  solve: solveChannels,
  lower: float16InFloat32<InstanceA>((c, a) => lowerNorm(c, instanceGeo(c.inTypes, a), a.eps)),
  kernel: (ins, a, [out]) => kernelNorm(ins, instanceGeo(ins.map((t) => ({ dtype: t.dtype, shape: t.shape })), a), a.eps, out!),
  grad: gradNorm(instanceGeo, (a) => a['eps'] as number),
});

/** The group-wise normalizations, by F name. */
export const GROUP_NORM_OPS = { GroupNorm, InstanceNorm } as const;
