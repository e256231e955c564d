/**
 * Importers of ONNX's cumulative, triangular and scatter operators:
 * CumSum (gluonc `cumsum`), Trilu (`tril`/`triu`), and the accumulating
 * forms of ScatterElements and ScatterND (`reduction='add'`, onto
 * `scatterAdd` and `indexAdd`). Overwriting scatters (`reduction='none'`,
 * the default, and 'mul'/'max'/'min') have no gluonc operator and are
 * refused. Negative indices count from the end, as in ONNX (mode 'wrap').
 */
import type { Value } from '../../ir/value.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { castTo, normAxis, type Builder, type ImportCtx } from './context.js';

/** CumSum: axis from input 1 (constant), `exclusive` and `reverse` attributes. */
const cumSum: Builder = (c) => {
  const x = c.input(0);
  const axis = normAxis(c, c.numbers(1, 'axis')![0]!, x.type.shape.length);
  return [c.op('cumsum', [x], { axis, exclusive: c.attr.int('exclusive', 0) !== 0, reverse: c.attr.int('reverse', 0) !== 0 })];
};

/** Trilu: `upper` attribute (default 1), diagonal `k` from the optional input 1 (constant, default 0). */
const trilu: Builder = (c) => {
  const k = c.has(1) ? c.numbers(1, 'k')![0]! : 0;
  return [c.op(c.attr.int('upper', 1) ? 'triu' : 'tril', [c.input(0)], { k })];
};

/** The concrete shape of `v`, or a refusal. */
function concrete(c: ImportCtx, v: Value, what: string): number[] {
  const s = v.type.shape;
  if (s.some((d) => typeof d !== 'number')) throw c.refuse(`${what} [${s.join(', ')}] has symbolic dimensions`);
  return s as number[];
}

/** Only reduction='add' accumulates; the others overwrite (or multiply/compare) and have no gluonc operator. */
function needAdd(c: ImportCtx): void {
  const red = c.attr.str('reduction', 'none');
  if (red !== 'add') throw c.refuse(`reduction='${red}' ${red === 'none' ? 'overwrites' : 'combines'} the data; gluonc's scatter operators (scatterAdd, indexAdd) only add, so only reduction='add' maps`);
}

/**
 * ScatterElements with reduction='add': `scatterAdd` takes an index with 1
 * along the axis, so an index of m positions along it is m scatterAdds in
 * turn (the same sums, in ONNX's order); off the axis the index must cover
 * the data.
 */
const scatterElements: Builder = (c) => {
  needAdd(c);
  const [data, index, updates] = [c.input(0), c.input(1), c.input(2)];
  const ds = concrete(c, data, 'the data shape');
  const is = concrete(c, index, 'the index shape');
  const r = ds.length;
  const axis = normAxis(c, c.attr.int('axis', 0), r);
  if (is.length !== r || is.some((d, k) => k !== axis && d !== ds[k])) {
    throw c.refuse(`an index of shape [${is.join(', ')}] that does not span the data [${ds.join(', ')}] off axis ${axis}`);
  }
  let out = data;
  for (let j = 0; j < is[axis]!; j++) {
    const cut = (v: Value): Value => (is[axis] === 1 ? v : c.op('slice', [v], { begin: is.map((_d, k) => (k === axis ? j : 0)), end: is.map((d, k) => (k === axis ? j + 1 : d)), step: is.map(() => 1) }));
    out = c.op('scatterAdd', [out, cut(index), cut(updates)], { axis, mode: 'wrap' });
  }
  return [out];
};

/**
 * ScatterND with reduction='add': indices [..., k] address the first k data
 * axes; they are flattened into one (the row-major linear index, each entry
 * wrapped if negative) and added with `indexAdd` along axis 0.
 */
const scatterND: Builder = (c) => {
  needAdd(c);
  const [data, indices, updates] = [c.input(0), c.input(1), c.input(2)];
  const is = concrete(c, indices, 'the indices shape');
  const k = is[is.length - 1]!;
  const dsAll = data.type.shape;
  if (is.length === 0 || k < 1 || k > dsAll.length) throw c.refuse(`indices of shape [${is.join(', ')}] for data of rank ${dsAll.length}`);
  const lead = dsAll.slice(0, k);
  if (lead.some((d) => typeof d !== 'number')) throw c.refuse(`the addressed data dimensions [${lead.join(', ')}] are symbolic`);
  const ds = lead as number[];
  const rest = dsAll.slice(k);
  let idx = castTo(c, indices, 'int64');
  idx = c.op('where', [c.op('lesser', [idx, c.scalar(0, 'int64')]), c.op('add', [idx, c.constant(tensorFromNumbers('int64', [k], ds))]), idx]);
  if (k > 1) {
    const strides = ds.map((_d, i) => ds.slice(i + 1).reduce((p, q) => p * q, 1));
    idx = c.op('sum', [c.op('mul', [idx, c.constant(tensorFromNumbers('int64', [k], strides))])], { axis: -1 });
  } else {
    idx = c.op('reshape', [idx], { shape: is.slice(0, -1) });
  }
  if (k === 1) return [c.op('indexAdd', [data, idx, updates], { axis: 0, mode: 'wrap' })];
  if (rest.some((d) => typeof d !== 'number')) throw c.refuse(`the data dimensions [${rest.join(', ')}] after the addressed ones are symbolic`);
  const n = ds.reduce((p, q) => p * q, 1);
  const flat = c.op('reshape', [data], { shape: [n, ...rest] });
  const added = c.op('indexAdd', [flat, idx, updates], { axis: 0, mode: 'wrap' });
  return [c.op('reshape', [added], { shape: [...dsAll] })];
};

/** The cumulative, triangular and scatter importers by ONNX operator. */
export const SCATTER_IMPORTS: Record<string, Builder> = {
  CumSum: cumSum,
  Trilu: trilu,
  ScatterElements: scatterElements,
  ScatterND: scatterND,
};
