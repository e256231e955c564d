/**
 * The device context, as MXNet's `mx.cpu()` / `mx.gpu()`: the `device`
 * field of the one context (compiler/ops/context.ts), which says where
 * compiled sessions run — hybridized blocks'
 * forward and backward sessions and the fused training step. Eager `nd`
 * operators always run on the CPU (one-node sessions and TypeScript
 * kernels); arrays live in host memory and are fed to each run.
 * Invariant: the current context is part of every compiled-session cache
 * key, so changing it compiles new sessions instead of reusing ones bound
 * to the old device.
 */
import { cudaProviderInstalled } from '../../runtime/ort.js';
import { CUDA_MISSING, type Device } from '../../runtime/session.js';
import { getContext, updateContext, withContext as withExecution } from '../ops/context.js';

/** What a compiled call under `gpu()` says when onnxruntime's CUDA provider is missing (Gluon has no CPU fallback switch). */
export const GPU_MISSING = `${CUDA_MISSING} (or run on the CPU: context.setContext(context.cpu()))`;

/**
 * A device: `cpu(0)` or `gpu(0)` (CUDA through onnxruntime-node's CUDA
 * execution provider).
 *
 * ```ts
 * const ctx = context.gpu();
 * String(ctx); // 'gpu(0)'
 * ctx.device;  // 'cuda'
 * ```
 */
export class Context {
  constructor(
    readonly deviceType: 'cpu' | 'gpu',
    readonly deviceId = 0,
  ) {
    if (deviceType !== 'cpu' && deviceType !== 'gpu') throw new Error(`Context: unknown device type '${String(deviceType)}' (use 'cpu' or 'gpu')`);
    if (deviceId !== 0) throw new Error(`Context: ${deviceType}(${deviceId}) is not supported; gluonc runs on device 0 only`);
  }

  /** The session device this context selects: `'cpu'` or `'cuda'`. */
  get device(): Device {
    return this.deviceType === 'gpu' ? 'cuda' : 'cpu';
  }

  /** `cpu(0)` or `gpu(0)`, as MXNet prints contexts. */
  toString(): string {
    return `${this.deviceType}(${this.deviceId})`;
  }
}

/**
 * The CPU context.
 *
 * ```ts
 * context.setContext(context.cpu());
 * ```
 */
export function cpu(deviceId = 0): Context {
  return new Context('cpu', deviceId);
}

/**
 * The GPU context (CUDA; needs onnxruntime-node's CUDA provider, see the README's install section).
 *
 * ```ts
 * context.setContext(context.gpu());
 * ```
 */
export function gpu(deviceId = 0): Context {
  return new Context('gpu', deviceId);
}

const CPU0 = cpu();

/**
 * The context compiled sessions are created on now (default `cpu(0)`).
 *
 * ```ts
 * context.currentContext().device; // 'cpu'
 * ```
 */
export function currentContext(): Context {
  const d = getContext().device;
  return d instanceof Context ? d : CPU0;
}

/**
 * The session device of the current context (`'cpu'` or `'cuda'`); under
 * `gpu()` without onnxruntime's CUDA provider it throws GPU_MISSING, before
 * anything is compiled.
 *
 * ```ts
 * compileGraph(g, {}, { device: currentDevice() });
 * ```
 */
export function currentDevice(): Device {
  const device = getContext().device.device;
  if (device === 'cuda' && !cudaProviderInstalled()) throw new Error(GPU_MISSING);
  return device;
}

function toContext(ctx: Context | Device): Context {
  if (ctx instanceof Context) return ctx;
  if (ctx === 'cpu') return cpu();
  if (ctx === 'cuda') return gpu();
  throw new Error(`setContext: unknown device '${String(ctx)}' (use 'cpu', 'cuda', context.cpu() or context.gpu())`);
}

/**
 * A context given to a method of ported code (`x.asInCtx(device)`, d2l's
 * `try_gpu()` device): the current context (or a list holding only it) is
 * accepted as a no-op, as MXNet's `as_in_ctx` returns the array already
 * there; another is an Error naming `what`, since gluonc has one global
 * context.
 * Example: `checkSameContext('asInCtx', npx.cpu())`.
 */
export function checkSameContext(what: string, ctx: unknown): void {
  const list = Array.isArray(ctx) ? ctx : [ctx];
  const cur = currentContext();
  for (const c of list) {
    if (!(c instanceof Context)) throw new Error(`${what}: ctx must be a Context (npx.cpu(), npx.gpu()), got ${typeof c === 'object' ? JSON.stringify(c) : String(c)}`);
    if (c.deviceType !== cur.deviceType) {
      throw new Error(`${what}: ctx ${String(c)} is not the current context ${String(cur)}; gluonc has one global context: context.setContext(${c.deviceType === 'gpu' ? 'context.gpu()' : 'context.cpu()'}) first`);
    }
  }
}

/**
 * Sets the context for every session compiled from now on; returns the
 * previous one. Takes a Context or a device name (`'cpu'`, `'cuda'`). On a
 * machine without the CUDA provider, the first compiled call under
 * `gpu()` throws the install instruction.
 *
 * ```ts
 * context.setContext(context.gpu());   // or setContext('cuda')
 * net.hybridize(); net.call(x);        // compiled for CUDA
 * ```
 */
export function setContext(ctx: Context | Device): Context {
  const next = toContext(ctx);
  const old = currentContext();
  updateContext({ device: next });
  return old;
}

/**
 * Runs `fn` with `ctx` as the current context (MXNet's `with mx.gpu():`),
 * then restores the previous one.
 *
 * ```ts
 * const y = context.withContext(context.gpu(), () => net.call(x));
 * ```
 */
export function withContext<T>(ctx: Context | Device, fn: () => T): T {
  return withExecution({ device: toContext(ctx) }, fn);
}
