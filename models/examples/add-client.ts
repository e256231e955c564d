/**
 * Asks a served GPT adder (`gluonc serve gpt.onnx`, trained by
 * train-gpt.ts) to add two numbers over KServe v2: it sends the prompt
 * `"123+456="` as int32 token ids [1, T], takes the argmax of the logits
 * at the last position as the next token, appends it and asks again, once
 * per answer digit (greedy decoding), then reads the digits as a number.
 *
 *   npx tsx models/examples/add-client.ts 123 456 [--url http://127.0.0.1:8080/v2/models/gpt] [--digits 3] [--order plain|reversed]
 *
 * `--print-request` prints the first request body instead (for curl).
 */
import { parseArgs } from 'node:util';
import { decodeSum, encodePrompt, type DigitOrder } from './addition-data.js';
import { isMain } from './train-loop.js';

/** A KServe v2 infer request for a batch of one token sequence. */
export interface TokenRequest {
  inputs: { name: 'tokens'; shape: [number, number]; datatype: 'INT32'; data: number[] }[];
}

/**
 * The infer request body for token ids `ids` (one sequence).
 *
 * ```ts
 * tokenRequest([1, 2, 3, 10, 4, 5, 6, 11]); // {"inputs":[{"name":"tokens","shape":[1,8],"datatype":"INT32","data":[1,2,3,10,4,5,6,11]}]}
 * ```
 */
export function tokenRequest(ids: number[]): TokenRequest {
  return { inputs: [{ name: 'tokens', shape: [1, ids.length], datatype: 'INT32', data: [...ids] }] };
}

/**
 * The argmax of the last position's logits in an infer answer (output [1, T, vocab]).
 *
 * ```ts
 * nextToken({ outputs: [{ shape: [1, 2, 3], data: [0, 0, 0, 0.1, 0.9, 0.2] }] }); // 1
 * ```
 */
export function nextToken(answer: { outputs?: { shape: number[]; data: number[] }[] }): number {
  const out = answer.outputs?.[0];
  if (!out || out.shape.length !== 3) throw new Error(`add-client: expected an output of shape [1, T, vocab], got ${JSON.stringify(out?.shape)}`);
  const [, t, v] = out.shape as [number, number, number];
  const last = out.data.slice((t - 1) * v, t * v);
  return last.indexOf(Math.max(...last));
}

/**
 * Adds `a` and `b` with the served model at `url` (the model's URL, e.g.
 * `http://127.0.0.1:8080/v2/models/gpt`); returns the sum it generates (null
 * if it writes a non-digit) and the generated tokens.
 *
 * ```ts
 * await addViaServer('http://127.0.0.1:8080/v2/models/gpt', 123, 456); // { sum: 579, tokens: [0, 5, 7, 9] }
 * ```
 */
export async function addViaServer(url: string, a: number, b: number, o: { digits?: number; order?: DigitOrder } = {}): Promise<{ sum: number | null; tokens: number[] }> {
  const digits = o.digits ?? 3;
  const ids = encodePrompt(a, b, digits);
  const tokens: number[] = [];
  for (let i = 0; i <= digits; i++) {
    const res = await fetch(`${url}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tokenRequest([...ids, ...tokens])) });
    const answer = (await res.json()) as { error?: string; outputs?: { shape: number[]; data: number[] }[] };
    if (res.status !== 200) throw new Error(`add-client: ${url}/infer answered ${res.status}: ${answer.error ?? JSON.stringify(answer)}`);
    tokens.push(nextToken(answer));
  }
  return { sum: decodeSum(tokens, o.order), tokens };
}

if (isMain(import.meta.url)) {
  const fail = (e: Error) => {
    process.stderr.write(`add-client: ${e.message}\n`);
    process.exitCode = 1;
  };
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { url: { type: 'string' }, digits: { type: 'string' }, order: { type: 'string' }, 'print-request': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 2) throw new Error(`expected two numbers to add, got ${positionals.length} argument(s)`);
    const [a, b] = positionals.map(Number) as [number, number];
    const digits = Number(values.digits ?? '3');
    const order = (values.order ?? 'plain') as DigitOrder;
    if (order !== 'plain' && order !== 'reversed') throw new Error(`--order must be plain or reversed, got '${values.order}'`);
    if (values['print-request']) {
      process.stdout.write(`${JSON.stringify(tokenRequest(encodePrompt(a, b, digits)))}\n`);
    } else {
      addViaServer(values.url ?? 'http://127.0.0.1:8080/v2/models/gpt', a, b, { digits, order }).then(
        (r) => console.log(`${a} + ${b} = ${r.sum ?? `? (the model wrote tokens ${r.tokens.join(' ')})`}`),
        (e: Error) => fail(e.cause ? new Error(`${e.message} (${(e.cause as Error).message})`) : e),
      );
    }
  } catch (e) {
    fail(e as Error);
  }
}
