/**
 * MXNet 1.x's `mx.model.load_checkpoint` / `save_checkpoint`
 * (python/mxnet/model.py): `<prefix>-symbol.json` plus
 * `<prefix>-%04d.params` whose names carry `arg:` / `aux:`. Loading gives
 * gluonc's symbol of the file (every variable a `sym.var`, the parameters'
 * with their shapes from the file; the graph replayed through `sym` by the
 * MXNet reader, training heads included, so a Module trains it; each node
 * keeps the file's name, so `getInternals()` lists MXNet's `flatten0_output`)
 * and the two parameter dicts. Saving writes the symbol through the MXNet
 * exporter, each node under its name.
 * Invariants: errors name the file; a variable whose shape the writer needs
 * and cannot tell is an Error naming it.
 */
import fs from 'node:fs';
import { NDArray } from '../../engine/ndarray.js';
import { parseMxnetAttr, parseMxnetSymbol } from '../../formats/mxnet-symbol-file.js';
import { canonicalMxnetNames } from '../../formats/mxnet-names.js';
import { readTensorFile, writeFileAtomic } from '../../formats/params-file.js';
import { encodeMxnetParams } from '../../formats/mxnet-params.js';
import { graphOf, isSymbol, Symbol } from '../../trace/symbol.js';
import { symOps, variable } from '../../trace/sym.js';
import { MxnetSymbolBlock } from '../mxnet-symbol.js';
import { SymbolBlock } from '../symbol-block.js';
import { showValue } from '../show-value.js';

/** Parameters by name. */
export type ParamDict = Record<string, NDArray>;

/** `<prefix>-%04d.params`. Example: `paramsFile("lstm", 3)` is `lstm-0003.params`. */
export const paramsFile = (prefix: string, epoch: number): string => `${prefix}-${String(epoch).padStart(4, '0')}.params`;

function checkEpoch(what: string, epoch: unknown): void {
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`${what}: epoch must be a whole number 0 or more (the file is <prefix>-%04d.params), got ${showValue(epoch)}`);
}

/** The input shapes a Module bound a symbol with, for `saveCheckpoint` (the symbol file records none, but the writer traces with them). */
const boundShapes = new WeakMap<object, Record<string, number[]>>();

/** Records `shapes` as the input shapes of `symbol` (Module.bind does). Example: `rememberShapes(net, { data: [32, 784] })`. */
export function rememberShapes(symbol: Symbol | Symbol[], shapes: Record<string, number[]>): void {
  const key = Array.isArray(symbol) ? symbol[0] : symbol;
  if (key) boundShapes.set(key, { ...(boundShapes.get(key) ?? {}), ...shapes });
}

/**
 * Reads `<prefix>-symbol.json` and `<prefix>-%04d.params`; returns
 * `[symbol, argParams, auxParams]` (a list of symbols for a file with several heads).
 *
 * ```ts
 * const [symbol, argParams, auxParams] = model.loadCheckpoint('resnet-18', 0);
 * ```
 */
export function loadCheckpoint(prefix: string, epoch: number): [Symbol | Symbol[], ParamDict, ParamDict] {
  if (typeof prefix !== 'string' || !prefix) throw new Error(`model.loadCheckpoint: prefix must be a path prefix ('resnet-18' reads resnet-18-symbol.json), got ${showValue(prefix)}`);
  checkEpoch('model.loadCheckpoint', epoch);
  const symbolFile = `${prefix}-symbol.json`;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(symbolFile, 'utf8'));
  } catch (e) {
    throw new Error(`model.loadCheckpoint: cannot read '${symbolFile}': ${(e as Error).message}`);
  }
  const graph = parseMxnetSymbol(json, symbolFile);
  const [arg, aux] = loadParamsFile(paramsFile(prefix, epoch));
  return [symbolOfGraph(graph, symbolFile, { ...arg, ...aux }), arg, aux];
}

/**
 * Reads an MXNet `.params` file of `arg:`/`aux:` entries (Module's
 * `save_params` / `save_checkpoint` form) as `[argParams, auxParams]`.
 *
 * ```ts
 * const [arg, aux] = loadParamsFile('mlp-0005.params');
 * ```
 */
export function loadParamsFile(file: string): [ParamDict, ParamDict] {
  const f = readTensorFile(file);
  const raw = f.tensors.map(([k]) => k);
  const names = canonicalMxnetNames(raw);
  const arg: ParamDict = {};
  const aux: ParamDict = {};
  f.tensors.forEach(([, t], i) => {
    if (!raw[i]!.startsWith('arg:') && !raw[i]!.startsWith('aux:')) throw new Error(`${file}: entry '${raw[i]}' is neither 'arg:' nor 'aux:' (MXNet's Module files name both)`);
    (raw[i]!.startsWith('aux:') ? aux : arg)[names[i]!] = new NDArray({ ...t, shape: [...t.shape] });
  });
  return [arg, aux];
}

/** Writes `argParams`/`auxParams` as an MXNet `.params` file (`arg:`/`aux:` names), as Module's `save_params`. Example: `saveParamsFile('mlp.params', arg, aux)`. */
export function saveParamsFile(file: string, argParams: ParamDict, auxParams: ParamDict): void {
  const entries = [...Object.entries(argParams).map(([k, v]) => [`arg:${k}`, v] as const), ...Object.entries(auxParams).map(([k, v]) => [`aux:${k}`, v] as const)];
  writeFileAtomic(file, encodeMxnetParams(entries.map(([, v]) => v._host), entries.map(([k]) => k), file));
}

/** The gluonc symbol of an MXNet graph: each variable a `sym.var` (shaped as `known` or its `__shape__`), the nodes replayed through `sym`. */
function symbolOfGraph(graph: ReturnType<typeof parseMxnetSymbol>, source: string, known: ParamDict): Symbol | Symbol[] {
  const names = [...new Set(graph.nodes.filter((n) => n.op === 'null').map((n) => n.name))];
  const block = new MxnetSymbolBlock(graph, names, source);
  const vars = names.map((name) => {
    const t = known[name];
    const node = graph.nodes.find((n) => n.op === 'null' && n.name === name)!;
    const declared = node.attrs.__shape__ !== undefined ? parseMxnetAttr(node.attrs.__shape__) : undefined;
    const shape = t ? t.shape : Array.isArray(declared) && declared.every((d) => typeof d === 'number' && d > 0) ? (declared as number[]) : undefined;
    return variable(name, shape ? { shape, dtype: t?.dtype ?? 'float32' } : {});
  });
  return block.hybridForward(symOps as never, ...vars, {}) as Symbol | Symbol[];
}

/**
 * Writes `symbol` and its parameters as MXNet's checkpoint
 * (`<prefix>-symbol.json`, `<prefix>-%04d.params`). The variables not in
 * `argParams`/`auxParams` are the inputs; their shapes come from the Module
 * that bound the symbol, or from `sym.var`'s shape.
 *
 * ```ts
 * model.saveCheckpoint('mlp', 5, symbol, argParams, auxParams);   // mlp-symbol.json, mlp-0005.params
 * ```
 */
export function saveCheckpoint(prefix: string, epoch: number, symbol: Symbol | Symbol[], argParams: ParamDict, auxParams: ParamDict = {}): void {
  const what = 'model.saveCheckpoint';
  if (typeof prefix !== 'string' || !prefix) throw new Error(`${what}: prefix must be a path prefix, got ${showValue(prefix)}`);
  checkEpoch(what, epoch);
  const outs = Array.isArray(symbol) ? symbol : [symbol];
  if (!outs.length || !outs.every(isSymbol)) throw new Error(`${what}: symbol must be a symbol or a list of symbols, got ${showValue(symbol)}`);
  const params = { ...argParams, ...auxParams };
  const g = graphOf(...outs);
  const inputs = g.inputs.filter((v) => !(v.name in params));
  if (!inputs.length) throw new Error(`${what}: every variable of the symbol is in argParams/auxParams; the data inputs are the ones left out`);
  const shapes: Record<string, number[]> = { ...(boundShapes.get(outs[0]!) ?? {}) };
  for (const v of inputs) if (!shapes[v.name] && v.known) shapes[v.name] = v.type.shape as number[];
  const missing = inputs.filter((v) => !shapes[v.name]);
  if (missing.length) {
    // A label the heads size from the data (SoftmaxOutput's solve rule), as MXNet's infer_shape.
    try {
      const given = Object.fromEntries(inputs.filter((v) => shapes[v.name]).map((v) => [v.name, shapes[v.name]!]));
      for (const o of outs) {
        const own = new Set(o.listArguments());
        const mine = Object.fromEntries(Object.entries(given).filter(([k]) => own.has(k)));
        for (const [k, s] of Object.entries(o.inferShape(mine).args)) if (!shapes[k]) shapes[k] = s as number[];
      }
    } catch {
      // named below
    }
  }
  const unknown = inputs.filter((v) => !shapes[v.name]).map((v) => v.name);
  if (unknown.length) throw new Error(`${what}: the shape of input(s) ${unknown.map((n) => `'${n}'`).join(', ')} is unknown; bind a Module on this symbol first, or declare it: sym.var('${unknown[0]}', { shape: [...] })`);
  const block = new SymbolBlock(outs.length === 1 ? outs[0]! : outs, inputs.map((v) => new Symbol(v)));
  for (const [name, p] of block.collectParams().entries()) {
    const t = params[name];
    if (!(t instanceof NDArray)) throw new Error(`${what}: parameter '${name}' of the symbol is not an NDArray in argParams/auxParams`);
    p.setData(t.copy());
  }
  block.hybridize();
  block.export(prefix, { format: 'mxnet', epoch, inputs: Object.fromEntries(inputs.map((v) => [v.name, { shape: shapes[v.name]!, dtype: 'float32' }])) });
}
