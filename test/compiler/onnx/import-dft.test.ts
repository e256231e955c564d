/**
 * ONNX's DFT imported (compiler/onnx/import/signal.ts) in both forms, opset
 * 17's axis attribute and opset 20's axis input (given or the default -2,
 * negative axes), against ONNX's reference implementation (onnx.reference,
 * numpy's FFT in float64) and the gradients against PyTorch's torch.fft
 * (fft, ifft, rfft, irfft; torch.autograd in float64), eager and hybridized:
 * real and complex input, inverse, onesided, the inverse of a one-sided
 * spectrum (IRFFT, even and odd lengths), dft_length truncating and
 * zero-padding the signal, edge lengths 1 and 2. An axis computed at run time
 * and IRFFT of a real input are refused by name. Skipped, with a message,
 * without python3's torch and onnx.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { int, model } from './ort-compare.js';

const SCRIPT = String.raw`
import os, sys, json, numpy as np, torch, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
# name: (input shape, opset, axis (None: the default), inverse, onesided, dft_length (None: the default), dtype)
CASES = {
    'fft_real_17': ([2, 6, 3, 1], 17, 1, 0, 0, None, np.float64),
    'fft_complex_20_axis2': ([2, 6, 3, 2], 20, 2, 0, 0, None, np.float64),
    'fft_default_axis_20': ([2, 3, 5, 2], 20, None, 0, 0, None, np.float64),
    'fft_axis_m3_20': ([4, 3, 5, 2], 20, -3, 0, 0, None, np.float32),
    'ifft_complex_20': ([2, 7, 3, 2], 20, 1, 1, 0, None, np.float64),
    'ifft_real_17': ([3, 4, 1], 17, 1, 1, 0, None, np.float64),
    'rfft_even_20': ([2, 8, 1], 20, 1, 0, 1, None, np.float64),
    'rfft_odd_17': ([2, 7, 1], 17, 1, 0, 1, None, np.float64),
    'irfft_even_20': ([2, 5, 3, 2], 20, 1, 1, 1, None, np.float64),
    'irfft_odd_len_20': ([2, 4, 2], 20, -2, 1, 1, 7, np.float64),
    'irfft_truncate_17': ([2, 6, 2], 17, 1, 1, 1, 4, np.float32),
    'irfft_pad_20': ([3, 3, 2], 20, 1, 1, 1, 9, np.float64),
    'irfft_len1_20': ([2, 3, 2], 20, 1, 1, 1, 1, np.float64),
    'irfft_len2_20': ([2, 2, 2], 20, 1, 1, 1, None, np.float64),
    'fft_pad_20': ([2, 5, 2], 20, 1, 0, 0, 8, np.float64),
    'fft_truncate_17': ([2, 6, 1], 17, 1, 0, 0, 4, np.float64),
    'ifft_pad_20': ([2, 3, 2], 20, 1, 1, 0, 5, np.float64),
    'rfft_pad_20': ([2, 5, 1], 20, 1, 0, 1, 6, np.float64),
    'fft_len1_17': ([2, 1, 2], 17, 1, 0, 0, None, np.float64),
    'fft_len2_20': ([3, 2, 1], 20, 1, 0, 0, None, np.float64),
}
for name, (shape, opset, axis, inverse, onesided, n, dt) in CASES.items():
    x = rs.randn(*shape).astype(dt)
    elem = TensorProto.DOUBLE if dt == np.float64 else TensorProto.FLOAT
    inits, ins = [], ['x']
    if n is not None:
        inits.append(numpy_helper.from_array(np.array(n, np.int64), 'n'))
    if opset >= 20:
        ins = ['x', 'n' if n is not None else '']
        if axis is not None:
            inits.append(numpy_helper.from_array(np.array(axis, np.int64), 'axis'))
            ins.append('axis')
        node = helper.make_node('DFT', ins, ['y'], inverse=inverse, onesided=onesided)
    else:
        ins = ['x'] + (['n'] if n is not None else [])
        node = helper.make_node('DFT', ins, ['y'], axis=axis, inverse=inverse, onesided=onesided)
    g = helper.make_graph([node], 'g', [helper.make_tensor_value_info('x', elem, shape)], [helper.make_tensor_value_info('y', elem, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], ir_version=9)
    d = os.path.join(out, name); os.makedirs(d)
    onnx.save(m, os.path.join(d, 'model.onnx'))
    y = ReferenceEvaluator(m).run(None, {'x': x})[0]
    # torch: the same transform of the signal (last axis: real, or real and imaginary parts), in float64.
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    ax = (axis if axis is not None else -2) % len(shape)
    sig = xt[..., 0] if shape[-1] == 1 else torch.view_as_complex(xt)
    if inverse and onesided:
        yt = torch.fft.irfft(sig, n=n, dim=ax).unsqueeze(-1)
    elif onesided:
        yt = torch.view_as_real(torch.fft.rfft(sig, n=n, dim=ax))
    else:
        yt = torch.view_as_real((torch.fft.ifft if inverse else torch.fft.fft)(sig.to(torch.complex128), n=n, dim=ax))
    assert yt.shape == y.shape and np.allclose(yt.detach().numpy(), y, rtol=1e-4, atol=1e-5), name
    r = torch.randn(*yt.shape, dtype=torch.float64)
    (yt * r).sum().backward()
    for k, v in (('x', x), ('y', y), ('r', r.numpy().astype(dt)), ('gx', xt.grad.numpy())):
        np.save(os.path.join(d, f'{k}.npy'), v)
`;

describe("imported DFT: ONNX's reference and torch.fft's gradients", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('dft', ['torch', 'onnx'], SCRIPT);

  it('opset 17 and 20 forms: forward, inverse, onesided, IRFFT, dft_length, edge lengths (eager and hybridized, output and input gradient)', () => {
    const cases = readdirSync(fx.dir).sort();
    assert.equal(cases.length, 20);
    for (const name of cases) {
      const ref = (k: string) => readNpy(join(fx.dir, name, `${k}.npy`));
      const float32 = ref('x').dtype === 'float32';
      const [rtol, atol] = float32 ? [1e-4, 1e-5] : [1e-9, 1e-10];
      for (const hybrid of [false, true]) {
        const what = `${name} (${hybrid ? 'hybridized' : 'eager'})`;
        const net = gluon.SymbolBlock.imports(join(fx.dir, name, 'model.onnx'));
        if (hybrid) net.hybridize();
        const x = new nd.NDArray(ref('x'));
        x.attachGrad();
        let y: nd.NDArray | undefined;
        autograd.record(() => {
          y = net.call(x) as nd.NDArray;
          return nd.sum(nd.mul(y, new nd.NDArray(ref('r'))));
        }).backward();
        assert.deepEqual(y!.shape, ref('y').shape, `${what}: shape`);
        assert.equal(y!.dtype, ref('y').dtype, `${what}: dtype`);
        assertClose(tensorToNumbers(y!._host), tensorToNumbers(ref('y')), `${what}: output`, rtol, atol);
        assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(ref('gx')), `${what}: input gradient`, rtol, atol);
      }
    }
  });

  it('refuses an axis computed at run time and IRFFT of a real input by name', () => {
    const runtimeAxis = model([{ opType: 'DFT', input: ['x', '', 'axis'], output: ['y'], name: 'f' }], [['x', [2, 6, 3, 2]], ['axis', []]], [['y', 'float32']], [], 20);
    assert.throws(() => readModel(runtimeAxis), /ONNX operator 'DFT' \(node 'f'\) has no gluonc equivalent: axis \(input 2, 'axis'\) is computed at run time/);
    const realIrfft = model([{ opType: 'DFT', input: ['x'], output: ['y'], name: 'f', attribute: [int('axis', 1), int('inverse', 1), int('onesided', 1)] }], [['x', [2, 6, 1]]], [['y', 'float32']], [], 17);
    assert.throws(() => readModel(realIrfft), { message: "readModel: model bytes: ONNX operator 'DFT' (node 'f') has no gluonc equivalent: inverse with onesided (IRFFT) of a real input (its last axis must hold 2 components)" });
  });
});
