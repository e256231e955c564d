/**
 * How the CLI fails: a user error (bad argument, missing or corrupt file, a
 * model that cannot compile) prints ONE line `gluonc: <message>` on stderr
 * and exits 1; an unexpected internal error prints one line too, with a hint
 * to report it. No stack trace unless `GLUONC_DEBUG=1`.
 */

/**
 * An error caused by the user's input; its message is printed as is.
 *
 * ```ts
 * throw new UserError(`'mlp.onnx': no such file`);
 * ```
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** The first line of an error's message (messages of wrapped libraries can span lines). */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n').map((s) => s.trim()).find((s) => s !== '') ?? (e instanceof Error ? e.name : 'error');
  return line.replace(/\s+/g, ' ');
}

/**
 * Runs `fn`, turning any error into a UserError prefixed with `what` (for
 * errors caused by the user's file or model).
 *
 * ```ts
 * const s = asUserError(`'${file}'`, () => Session.create(file));
 * ```
 */
export function asUserError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw userError(what, e);
  }
}

/** Async `asUserError`. Example: `await asUserErrorAsync('models/x.ts', () => import(url))`. */
export async function asUserErrorAsync<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw userError(what, e);
  }
}

/** A UserError `<what>: <first line of e>` (unless e's message already starts with `what`). */
export function userError(what: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const line = firstLine(e);
  const out = new UserError(what && !line.startsWith(what) ? `${what}: ${line}` : line);
  out.cause = e;
  return out;
}

/**
 * Prints an error the CLI way and returns the exit code (1).
 *
 * ```ts
 * process.exitCode = reportError(e);
 * ```
 */
export function reportError(e: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  const debug = process.env['GLUONC_DEBUG'] === '1';
  if (debug) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    write(`${(cause as Error)?.stack ?? String(cause)}\n`);
  }
  // Errors gluonc raises on purpose are plain Errors naming the culprit; JS engine errors are bugs.
  const internal = !(e instanceof UserError) && (!(e instanceof Error) || e.name !== 'Error');
  if (internal) {
    write(`gluonc: internal error: ${firstLine(e)} (this is a bug in gluonc; please report it with the command you ran, and GLUONC_DEBUG=1 for the stack trace)\n`);
  } else {
    write(`gluonc: ${firstLine(e)}\n`);
  }
  return 1;
}
