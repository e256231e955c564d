/**
 * The adder's data (models/examples/addition-data.ts): encodings checked
 * against sums computed here with plain arithmetic, carries at the ends
 * (999 + 999, 0 + 0), the seeded split disjoint and repeatable, and bad
 * operands refused by name. Generation's token choice (gpt-generate.ts)
 * against hand-computed distributions.
 */
import assert from 'node:assert/strict';
import {
  additionTask,
  decodeSum,
  detokenize,
  encodePrompt,
  encodeSum,
  problemLength,
  problems,
  promptLength,
} from '../../../models/examples/addition-data.js';
import { chooseToken, generate } from '../../../models/examples/gpt-generate.js';

describe('models/examples/addition-data', () => {
  it('writes "123+456=" then the sum, zero-padded, plain or reversed', () => {
    assert.equal(detokenize(encodePrompt(123, 456, 3)), '123+456=');
    assert.equal(detokenize(encodePrompt(7, 45, 3)), '007+045=');
    assert.equal(detokenize(encodeSum(579, 3)), '0579');
    assert.equal(detokenize(encodeSum(579, 3, 'reversed')), '9750');
    assert.equal(detokenize(problems([999], [999], 3).tokens), '999+999=1998');
    assert.equal(detokenize(problems([0], [0], 3, 'reversed').tokens), '000+000=0000');
    assert.equal(promptLength(3), 8);
    assert.equal(problemLength(3), 12);
  });

  it('decodeSum inverts encodeSum for every 2-digit sum, both orders; a non-digit gives null', () => {
    for (let a = 0; a < 100; a++) {
      for (const b of [0, 1, 9, 10, 55, 99]) {
        assert.equal(decodeSum(encodeSum(a + b, 2)), a + b);
        assert.equal(decodeSum(encodeSum(a + b, 2, 'reversed'), 'reversed'), a + b);
      }
    }
    assert.equal(decodeSum([1, 10, 2]), null);
  });

  it('the held-out problems never appear in training draws; the same seed gives the same problems', () => {
    const task = additionTask({ digits: 1, heldOut: 40, seed: 3 });
    const held = new Set(task.heldOut.a.map((a, i) => `${a}+${task.heldOut.b[i]}`));
    assert.equal(held.size, 40);
    const d = task.draw(500);
    for (let i = 0; i < d.n; i++) assert.ok(!held.has(`${d.a[i]}+${d.b[i]}`), `${d.a[i]}+${d.b[i]} is held out`);
    const again = additionTask({ digits: 1, heldOut: 40, seed: 3 });
    assert.deepEqual(again.heldOut.tokens, task.heldOut.tokens);
    assert.deepEqual(again.draw(500).tokens, d.tokens);
    for (let i = 0; i < d.n; i++) assert.equal(decodeSum(d.tokens.subarray(i * 6 + 4, i * 6 + 6)), d.a[i]! + d.b[i]!);
  });

  it('refuses operands out of range and impossible held-out sizes, naming them', () => {
    assert.throws(() => encodePrompt(1000, 1, 3), /first operand must be an integer in 0\.\.999, got 1000/);
    assert.throws(() => encodePrompt(1, -1, 3), /second operand must be an integer in 0\.\.999, got -1/);
    assert.throws(() => additionTask({ digits: 1, heldOut: 80, seed: 1 }), /heldOut must be an integer in 1\.\.50, got 80/);
    assert.throws(() => additionTask({ digits: 0, heldOut: 1, seed: 1 }), /digits must be an integer in 1\.\.9, got 0/);
  });
});

describe('models/examples/gpt-generate', () => {
  it('greedy picks the argmax (the first on a tie); top-1 sampling is greedy', () => {
    const rand = () => 0.999;
    assert.equal(chooseToken([0, 3, 1], {}, rand), 1);
    assert.equal(chooseToken([2, 2, 1], {}, rand), 0);
    assert.equal(chooseToken([0, 3, 1], { sample: true, topK: 1 }, rand), 1);
  });

  it('top-k sampling draws from softmax(logits / T) over the k largest only', () => {
    // logits ln 1, ln 3, ln 6 (tiny one excluded by topK 3 of 4): probabilities 0.1, 0.3, 0.6 at T = 1.
    const logits = [Math.log(1), Math.log(3), -50, Math.log(6)];
    const draw = (u: number, o: { temperature?: number; topK?: number }) => chooseToken(logits, { sample: true, ...o }, () => u);
    // Order by logit: 3 (0.6), 1 (0.3), 0 (0.1).
    assert.equal(draw(0.59, { topK: 3 }), 3);
    assert.equal(draw(0.61, { topK: 3 }), 1);
    assert.equal(draw(0.91, { topK: 3 }), 0);
    // topK 2: 6/9 and 3/9.
    assert.equal(draw(0.66, { topK: 2 }), 3);
    assert.equal(draw(0.67, { topK: 2 }), 1);
    // T = 0.5 squares the odds: 36, 9, 1 of 46.
    assert.equal(draw(36 / 46 - 0.001, { topK: 3, temperature: 0.5 }), 3);
    assert.equal(draw(36 / 46 + 0.001, { topK: 3, temperature: 0.5 }), 1);
    assert.equal(draw(45 / 46 + 0.001, { topK: 3, temperature: 0.5 }), 0);
  });

  it('generate appends maxNew tokens per row from the step; bad arguments are named', async () => {
    // A step that always prefers (last token + 1) mod 5.
    const step = (tokens: Int32Array, n: number, t: number) => {
      const out = new Float32Array(n * 5);
      for (let i = 0; i < n; i++) out[i * 5 + ((tokens[i * t + t - 1]! + 1) % 5)] = 1;
      return out;
    };
    const seqs = await generate(step, Int32Array.from([0, 3]), 2, 1, { maxNew: 3 });
    assert.deepEqual(Array.from(seqs), [0, 1, 2, 3, 3, 4, 0, 1]);
    await assert.rejects(generate(step, Int32Array.from([0, 3]), 2, 2, { maxNew: 1 }), /2 prompt tokens do not make \[2, 2\]/);
    await assert.rejects(generate(step, Int32Array.from([0]), 1, 1, { maxNew: 1, temperature: 0 }), /temperature must be > 0, got 0/);
  });
});
