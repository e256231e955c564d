import { nd } from 'gluonc';
import { setKernelThreshold } from '../../compiler/ops/execute.js';
setKernelThreshold(0);
const [T, N, I, H] = [Number(process.argv[2] ?? 256), 8, 32, 64];
const r = (s: number[]) => nd.random.uniform(-0.3, 0.3, s);
const x = r([T, N, I]), W = r([1, 4 * H, I]), R = r([1, 4 * H, H]), B = r([1, 8 * H]), h0 = r([1, N, H]), c0 = r([1, N, H]);
const F = nd as any;
const fwd = () => F.OnnxLSTM(x, W, R, B, h0, c0);
const [Y, Yh, Yc] = fwd();
const gY = r([T, 1, N, H]);
const bwd = () => F.OnnxRecurrentGrad(x, W, R, B, h0, c0, Y, gY, Yh, Yc, { kind: 'LSTM' });
const time = (name: string, f: () => unknown) => { for (let i = 0; i < 3; i++) f(); const ts: number[] = []; for (let i = 0; i < 15; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); } ts.sort((a, b) => a - b); console.log(name, ts[7]!.toFixed(2), 'ms'); };
for (let k = 0; k < 2; k++) { time('forward', fwd); time('backward', bwd); }
