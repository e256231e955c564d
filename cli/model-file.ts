/**
 * Loading a model file for the CLI: a `.ts` or `.js` module exporting
 * `default` (a block, a block class, or a function returning a block or a
 * promise of one),
 * `inputs` (e.g. `{ x: { shape: ['N', 784], dtype: 'float32' } }`) and
 * optionally `params` (a parameter file, relative to the model file),
 * `loss` (a loss block or a function returning one), `labels`, `trainer`
 * (optimizer options) and `lossOutput` (the output the loss reads), for `--train`.
 *
 * Invariant: the model's `import ... from 'gluonc'` (and `gluonc/compiler`,
 * `gluonc/runtime`) resolves to the very modules this CLI runs — the built
 * `dist/` files or the TypeScript sources — whatever the model file's folder
 * and the active export conditions, so its NDArrays and blocks are this
 * CLI's (an `instanceof` across two copies would fail).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DTYPES, isDType, type DType } from '../runtime/index.js';
import { gluon, random, type InputSpec } from '../compiler/gluon/index.js';
import { asUserError, asUserErrorAsync, firstLine, UserError, userError } from './errors.js';
import { MODEL_EXTENSIONS } from './model-extensions.js';
import { syntaxErrorLocation } from './source-errors.js';

export { MODEL_EXTENSIONS };

/** The seed models are initialized with when the file gives no `params`. */
export const MODEL_SEED = 0;

/** What a model file exports. */
export interface ModelModule {
  default?: unknown;
  inputs?: Record<string, InputSpec>;
  params?: string | URL;
  loss?: unknown;
  trainer?: Record<string, unknown> & { optimizer?: string };
  labels?: InputSpec;
  /** For `--train`: the output the loss reads (an index or `'output1'`); `--loss-output` overrides it. */
  lossOutput?: unknown;
}

/** A loaded, initialized model. */
export interface LoadedModel {
  /** The model file as given. */
  file: string;
  /** Its name: the file name without extension (`mlp`). */
  name: string;
  block: InstanceType<typeof gluon.Block>;
  inputs: Record<string, InputSpec>;
  module: ModelModule;
}

const own = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
/** The URLs of this CLI's own gluonc entry points. */
const SELF: Record<string, string> = {
  gluonc: new URL(`../compiler/gluon/index.${own}`, import.meta.url).href,
  'gluonc/compiler': new URL(`../compiler/index.${own}`, import.meta.url).href,
  'gluonc/runtime': new URL(`../runtime/index.${own}`, import.meta.url).href,
};

// A resolve hook mapping the gluonc specifiers to SELF (registered after tsx, so it runs first;
// the URL then goes through tsx's resolve, which gives TypeScript sources their format).
const HOOK = `
let map = {};
export function initialize(data) { map = data.map; }
export async function resolve(specifier, context, next) {
  const url = map[specifier];
  return next(url ?? specifier, context);
}`;

let hooked: Promise<void> | null = null;

/** Registers tsx (when the CLI itself does not run under it) and the gluonc resolve hook, once. */
function installHooks(): Promise<void> {
  hooked ??= (async () => {
    if (own === 'js') {
      const { register } = await import('tsx/esm/api');
      register();
    }
    registerHooks(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { map: SELF } });
  })();
  return hooked;
}

/**
 * Imports a model file (TypeScript through tsx). Errors are one-line UserErrors naming the file.
 *
 * ```ts
 * const mod = await importModelFile('models/mlp.ts');
 * ```
 */
export async function importModelFile(file: string): Promise<ModelModule> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new UserError(`'${file}': no such file`);
  if (statSync(abs).isDirectory()) throw new UserError(`'${file}' is a folder, not a model file`);
  if (!MODEL_EXTENSIONS.includes(path.extname(abs))) {
    throw new UserError(`'${file}': a model file must be ${MODEL_EXTENSIONS.join(', ')} (got '${path.extname(abs) || 'no extension'}')`);
  }
  if (!isEsm(abs)) {
    throw new UserError(
      `'${file}' would load as CommonJS (no package.json with "type": "module" above it); model files are ES modules: add "type": "module" to the package.json or name the file .mts`,
    );
  }
  await installHooks();
  try {
    return (await import(pathToFileURL(abs).href)) as ModelModule;
  } catch (e) {
    const at = syntaxErrorLocation(e);
    if (at) throw new UserError(at.replace(/^([^\s]+:\d+(?::\d+)?): /, '$1: syntax error: '), { cause: e });
    throw userError(`'${file}'`, e);
  }
}

/** True when Node (and tsx) load `file` as an ES module: .mts/.mjs, or the nearest package.json says "type": "module". */
function isEsm(file: string): boolean {
  const ext = path.extname(file);
  if (ext === '.mts' || ext === '.mjs') return true;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * Parses `--input name:dtype[dims]`, e.g. `x:float32[N,784]` (dims are
 * positive integers or symbolic names; `[]` is a scalar).
 *
 * ```ts
 * parseInputOption('x:float32[N,784]'); // ['x', { dtype: 'float32', shape: ['N', 784] }]
 * ```
 */
export function parseInputOption(text: string): [string, InputSpec] {
  const m = /^([^:\s]+):([a-z0-9]+)\[([^\]]*)\]$/.exec(text.trim());
  const example = "expected name:dtype[dims], e.g. --input x:float32[N,784]";
  if (!m) throw new UserError(`bad --input '${text}': ${example}`);
  const [, name, dtype, dims] = m as unknown as [string, string, string, string];
  if (!isDType(dtype)) throw new UserError(`bad --input '${text}': unknown dtype '${dtype}' (one of ${DTYPES.join(', ')})`);
  const shape = dims.trim() === '' ? [] : dims.split(',').map((d) => d.trim());
  const parsed = shape.map((d) => {
    if (/^\d+$/.test(d) && Number(d) > 0) return Number(d);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) return d;
    throw new UserError(`bad --input '${text}': dimension '${d}' is neither a positive integer nor a symbolic name`);
  });
  return [name, { dtype: dtype as DType, shape: parsed }];
}

/** Applies `--input` overrides (by name) to the model's own input specs. */
export function mergeInputs(file: string, own: Record<string, InputSpec> | undefined, overrides: string[]): Record<string, InputSpec> {
  const out: Record<string, InputSpec> = { ...(own ?? {}) };
  const seen = new Set<string>();
  for (const text of overrides) {
    const [name, spec] = parseInputOption(text);
    if (seen.has(name)) throw new UserError(`bad --input '${text}': input '${name}' is given twice`);
    seen.add(name);
    if (own && Object.keys(own).length && !(name in own)) {
      throw new UserError(`bad --input '${text}': '${file}' has no input '${name}' (its inputs: ${Object.keys(own).join(', ')})`);
    }
    out[name] = spec;
  }
  if (!Object.keys(out).length) {
    throw new UserError(`'${file}' exports no 'inputs' (e.g. export const inputs = { x: { shape: ['N', 784], dtype: 'float32' } }); give them with --input x:float32[N,784]`);
  }
  for (const [name, spec] of Object.entries(out)) {
    if (Array.isArray(spec)) {
      throw new UserError(
        `'${file}': input '${name}' is a list of ${spec.length}; compile's inputs are single tensors (the model file's inputs and --input name:dtype[dims] name one tensor each), so it cannot express a block called with a list (forward(x, [h, c])): ` +
          "call the block with the list from code and export it (net.export('m.onnx') names the list's arrays data0, data1, ... depth first), or give the forward one argument per tensor",
      );
    }
    if (!spec || typeof spec !== 'object' || !Array.isArray(spec.shape)) {
      throw new UserError(`'${file}': input '${name}' needs a shape, e.g. { shape: ['N', 784], dtype: 'float32' }`);
    }
    if (spec.dtype !== undefined && !isDType(spec.dtype)) throw new UserError(`'${file}': input '${name}' has an unknown dtype '${String(spec.dtype)}'`);
  }
  return out;
}

/** True for a class (a function whose prototype is a Block's). */
function isBlockClass(f: unknown): f is new () => InstanceType<typeof gluon.Block> {
  return typeof f === 'function' && f.prototype instanceof gluon.Block;
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'Object'}`;
  return `a ${typeof x}`;
}

/**
 * The parameter file a model file's `params` export names: a path relative
 * to the model file, or a `file:` URL (`new URL('./mlp.params',
 * import.meta.url)`); undefined when there is no `params` export. Anything
 * else is refused (it would compile seeded random weights without a word).
 *
 * ```ts
 * paramsPath('models/m.ts', 'mlp.params'); // '/abs/models/mlp.params'
 * ```
 */
export function paramsPath(file: string, params: unknown): string | undefined {
  if (params === undefined) return undefined;
  if (typeof params === 'string' && params !== '') return path.resolve(path.dirname(path.resolve(file)), params);
  if (params instanceof URL && params.protocol === 'file:') return fileURLToPath(params);
  const got = Array.isArray(params) ? 'a list' : params instanceof URL ? `the URL '${params.href}'` : describe(params);
  throw new UserError(`'${file}': the 'params' export must be a parameter file's path (relative to the model file) or a file: URL, got ${params === '' ? 'an empty string' : got}`);
}

/**
 * Imports a model file and builds its block: seeded (random.seed(0)) and
 * initialized, or with the file's `params` loaded.
 *
 * ```ts
 * const { block, inputs } = await loadModelFile('models/mlp.ts', []);
 * ```
 */
export async function loadModelFile(file: string, inputOverrides: string[] = []): Promise<LoadedModel> {
  const mod = await importModelFile(file);
  if (!('default' in mod) || mod.default === undefined) {
    throw new UserError(`'${file}' has no default export; export default a block or a function returning one (and export const inputs = {...})`);
  }
  const inputs = mergeInputs(file, mod.inputs, inputOverrides);
  random.seed(MODEL_SEED);
  const d = mod.default;
  // A class is constructed without arguments; when that fails (or its parameters then cannot be set up), the
  // error says so and how to pass arguments: export a function that builds the block.
  const bare = isBlockClass(d) ? d : null;
  const cls = bare?.name || 'the class';
  const takes = bare && bare.length > 0 ? `, though its constructor takes ${bare.length} argument${bare.length === 1 ? '' : 's'}` : '';
  const builderHint = bare ? `${cls} was constructed without arguments${takes}; to pass them, export a function that builds the block: export default () => new ${bare.name || 'Net'}(...)` : '';
  const made = asUserError(`'${file}'`, () => {
    try {
      if (bare) return new bare();
      return typeof d === 'function' ? (d as () => unknown)() : d;
    } catch (e) {
      throw bare ? new UserError(`'${file}': ${firstLine(e)} (${builderHint})`, { cause: e }) : e;
    }
  });
  // An async builder (one that fetches or reads weights, say) is awaited.
  const built = made instanceof Promise ? await asUserErrorAsync(`'${file}'`, () => made) : made;
  if (!(built instanceof gluon.Block)) {
    throw new UserError(`'${file}': the default export must be a gluon block or a function returning one, got ${describe(built)}`);
  }
  const block = built;
  const paramsFile = paramsPath(file, mod.params);
  asUserError(`'${file}'`, () => {
    try {
      if (paramsFile !== undefined) {
        block.loadParameters(paramsFile);
      } else {
        // Initialize what the model file left uninitialized (a parameter it already set up, or deferred, keeps its initializer).
        for (const p of block.collectParams().values()) if (!p.initialized && !p.deferred) p.initialize();
      }
    } catch (e) {
      throw bare ? new UserError(`'${file}': ${firstLine(e)} (${builderHint})`, { cause: e }) : e;
    }
  });
  return { file, name: path.basename(file).replace(/\.[^.]+$/, ''), block, inputs, module: mod };
}
