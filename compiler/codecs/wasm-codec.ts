/**
 * The Squoosh codecs (`@jsquash/jpeg`'s mozjpeg and `@jsquash/webp`'s
 * libwebp decoders, Emscripten builds) started synchronously: their
 * WebAssembly is compiled from the package's file and instantiated inside
 * the factory call, so `decode` needs no await. Their glue defines a global
 * `ImageData` where Node has none; it is put back only while a decoder
 * runs, so gluonc leaves the global object as it found it.
 *
 * Invariants: one instance per codec, made on first use; a decoder's
 * messages to stderr are kept for the caller's Error, never printed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** The decoded RGBA image an Emscripten codec returns. */
export interface Rgba8 {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** A started codec: its module, its error lines since the last call, and the ImageData class its glue made. */
interface Started<M> {
  module: M;
  errors: string[];
  imageData: unknown;
}

const globals = globalThis as { ImageData?: unknown };
const hadImageData = 'ImageData' in globals;

/**
 * Starts an Emscripten codec from its factory and the package path of its
 * `.wasm` (synchronously); `what` names it in the Error when it cannot start.
 * Example: `startCodec(webpFactory, '@jsquash/webp/codec/dec/webp_dec.wasm', 'the WebP decoder')`.
 */
export function startCodec<M>(factory: unknown, wasmPath: string, what: string): Started<M> {
  const compiled = new WebAssembly.Module(readFileSync(requireHere.resolve(wasmPath)));
  const errors: string[] = [];
  let ready: M | null = null;
  void (factory as (o: object) => Promise<unknown>)({
    noInitialRun: true,
    instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      const instance = new WebAssembly.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
    onRuntimeInitialized(this: M) {
      ready = this;
    },
    print: () => undefined,
    printErr: (line: string) => void errors.push(line),
  }).catch(() => undefined);
  if (!ready) throw new Error(`image decoding: ${what} (WebAssembly) did not start`);
  const started = { module: ready, errors, imageData: globals.ImageData };
  if (!hadImageData) delete globals.ImageData;
  return started;
}

/** Runs `decode` on a started codec with its ImageData global in place; null when it failed or threw (its last error line in `errors`). */
export function runCodec<M>(c: Started<M>, decode: (m: M) => Rgba8 | null): Rgba8 | null {
  c.errors.length = 0;
  if (!hadImageData) globals.ImageData = c.imageData;
  try {
    return decode(c.module);
  } catch (e) {
    c.errors.push((e as Error)?.message ?? String(e));
    return null;
  } finally {
    if (!hadImageData) delete globals.ImageData;
  }
}
