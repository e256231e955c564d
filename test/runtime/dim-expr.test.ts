/**
 * runtime/dim-expr.ts: the dimension expressions the compiler writes into
 * artifacts parse and evaluate as Python's integer arithmetic would
 * (`floor` of a negative quotient rounds down: MXNet's and the compiler's
 * pooling size for a kernel larger than the input is 0, not onnxruntime's 1);
 * texts outside the grammar parse to null; a manifest's constraints are
 * checked when it is read.
 */
import assert from 'node:assert/strict';
import { checkManifest } from 'gluonc/runtime';
import { dimConstraintProblem, dimHolds, dimSymbols, evalDim, firstViolation, parseDim, type DimConstraint } from '../../runtime/dim-expr.js';
import { runPython } from '../helpers/python-server.js';

const env = (o: Record<string, number>) => new Map(Object.entries(o));
const val = (text: string, o: Record<string, number>) => evalDim(parseDim(text)!, env(o));

describe('runtime/dim-expr: symbolic sizes as artifacts write them', () => {
  it('evaluates what the type rules write, floor and ceil of negative quotients included, as Python does', () => {
    const texts = ['H', '12*N', 'N*T', '(H-4)', '(H+2)', '((H+3)+3)', '(2*H-3)', '(floor((H-5)/5)+1)', '(ceil((W-5)/2)+1)', '(floor(((floor((H-2)/2)+1)-3)/1)+1)', '(T/3)', '-H+7'];
    const sizes = [0, 1, 2, 3, 4, 5, 6, 9, 10, 11];
    // Python's own arithmetic (math.floor / math.ceil of exact quotients via fractions) is the reference.
    const py = runPython(String.raw`
import json, sys, math, re
from fractions import Fraction
texts, sizes = json.load(sys.stdin)
out = []
for t in texts:
    row = []
    for s in sizes:
        # exact quotients: every divisor (an integer) becomes a Fraction
        e = re.sub(r'/(\d+)', r'/Fraction(\1)', t).replace('floor', 'math.floor').replace('ceil', 'math.ceil')
        v = eval(e, {'math': math, 'Fraction': Fraction, 'H': s, 'W': s, 'N': s, 'T': s})
        row.append(float(v))
    out.append(row)
json.dump(out, sys.stdout)
`, { input: JSON.stringify([texts, sizes]) });
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as number[][];
    texts.forEach((t, i) => sizes.forEach((s, k) => assert.equal(val(t, { H: s, W: s, N: s, T: s }), want[i]![k], `${t} at ${s}`)));
    // The repro's size: a 5 kernel with stride 5 over H = 3 gives 0 rows (onnxruntime's MaxPool answers 1).
    assert.equal(val('(floor((H-5)/5)+1)', { H: 3 }), 0);
    assert.equal(val('(floor((H-5)/5)+1)', { H: 9 }), 1);
  });

  it('reads names; an unbound name or a division by 0 gives undefined; texts outside the grammar parse to null', () => {
    assert.deepEqual(dimSymbols(parseDim('(floor((H-5)/5)+1)*W+H')!), ['H', 'W']);
    assert.equal(val('(H+K)', { H: 2 }), undefined);
    assert.equal(val('(H/0)', { H: 2 }), undefined);
    for (const bad of ['', '(nonzero[0:2])', '(loop iterations)', '(H-', 'H)', 'floor(H', '2H', 'H..', 'x.y', '1e3', '(H--)', 'H*', 'N/']) {
      assert.equal(parseDim(bad), null, JSON.stringify(bad));
    }
    // A name that is not a function call stays a name.
    assert.equal(val('floor+1', { floor: 4 }), 5);
  });

  it('floorDivision: `/` rounds down as integer division (torch exporters write `(1+((-1+H)/4))`), exact otherwise', () => {
    const e = parseDim('(1+((-1+H)/4))')!;
    // H = 5, 6, 8, 9 and 0: 1 + floor((H - 1) / 4), Python's (1 + (H - 1) // 4): 2, 2, 2, 3, 0.
    assert.deepEqual([5, 6, 8, 9, 0].map((H) => evalDim(e, env({ H }), true)), [2, 2, 2, 3, 0]);
    assert.equal(evalDim(e, env({ H: 6 })), 2.25);
    assert.equal(evalDim(parseDim('(H/0)')!, env({ H: 2 }), true), undefined);
  });

  it('constraints: >= and multipleOf, the first one failing, and what a manifest may hold', () => {
    assert.ok(dimHolds(5, '>=', 5) && !dimHolds(4, '>=', 5));
    assert.ok(dimHolds(9, 'multipleOf', 3) && !dimHolds(7, 'multipleOf', 3) && dimHolds(0, 'multipleOf', 3));
    const cs: DimConstraint[] = [
      { dim: 'T', cmp: 'multipleOf', value: 3, message: 'split needs T to be a multiple of 3' },
      { dim: '(floor((H-2)/2)+1)', cmp: '>=', value: 3, message: 'Pooling needs it' },
      { dim: 'K', cmp: '>=', value: 9, message: 'K is not bound: skipped' },
    ];
    assert.equal(firstViolation(cs, env({ T: 6, H: 6 })), null);
    assert.deepEqual(firstViolation(cs, env({ T: 6, H: 4 })), { constraint: cs[1], symbols: ['H'], size: 2 });
    assert.equal(firstViolation(cs, env({ T: 7, H: 4 }))!.constraint, cs[0]);
    assert.equal(dimConstraintProblem(cs[1]), undefined);
    assert.match(dimConstraintProblem({ ...cs[1], dim: '(x[0:2])' })!, /dim "\(x\[0:2\]\)" that is not a size expression/);
    assert.match(dimConstraintProblem({ ...cs[1], cmp: '<' })!, /unknown comparison "<"/);
    assert.match(dimConstraintProblem({ ...cs[1], value: 2.5 })!, /value 2.5 that is not an integer/);
    const m = { format: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 'H'] }], outputs: [], params: [] };
    assert.deepEqual(checkManifest({ ...m, constraints: cs }, "'m.onnx'").constraints, cs);
    assert.throws(() => checkManifest({ ...m, constraints: {} }, "'m.onnx'"), /^Error: 'm\.onnx': manifest 'gluonc\.manifest': 'constraints' is not a list$/);
    assert.throws(() => checkManifest({ ...m, constraints: [cs[0], { ...cs[0], cmp: '==' }] }, "'m.onnx'"), /manifest 'gluonc\.manifest': constraints\[1\] has an unknown comparison "=="/);
  });
});
