/**
 * Table entries for `CTCLoss` and `CTCLossGrad` (compiler/ops/ctc.ts). The
 * reference is PyTorch's `torch.nn.functional.ctc_loss` in float64 on
 * `log_softmax(data)` (reduction 'none', zero_infinity False), blank 0 for
 * blankLabel 'first' and C-1 for 'last', the label lengths MXNet's
 * LabelTensorToPackedVector reads without labelLengths (up to the first 0,
 * or -1 with 'last'); the gradient is torch's autograd of each entry's loss.
 * Samples: repeated labels (a blank must separate them), a label of length
 * 0, a label filling the width and needing every frame (L + repeats = T),
 * a data length of 0, lengths given as float and int, and a symbolic T.
 */
import type { OpCase, Sample } from '../case.js';

export const CTC_REF = String.raw`
import torch
def ctc_ref(a, b, extra, attrs, grad):
    m = attrs or {}
    first = m.get('blankLabel', 'first') == 'first'
    T, N, C = a.shape
    blank = 0 if first else C - 1
    extra = list(extra)
    dl = [int(v) for v in extra.pop(0)] if m.get('useDataLengths') else [T] * N
    lab = b.astype(np.int64)
    if m.get('useLabelLengths'):
        ll = [int(v) for v in extra.pop(0)]
    else:
        pad = 0 if first else -1
        ll = [next((k for k in range(lab.shape[1]) if lab[n, k] == pad), lab.shape[1]) for n in range(N)]
    loss = np.zeros(N); g = np.zeros(a.shape)
    for n in range(N):
        x = torch.tensor(a[:, n:n + 1, :], dtype=torch.float64, requires_grad=True)
        tg = torch.tensor(lab[n, :ll[n]].tolist(), dtype=torch.long)
        l = torch.nn.functional.ctc_loss(x.log_softmax(2), tg, torch.tensor([dl[n]]), torch.tensor([ll[n]]), blank=blank, reduction='none', zero_infinity=False)
        loss[n] = l.item()
        if np.isfinite(loss[n]):
            gx, = torch.autograd.grad(l.sum(), x)
            g[:, n, :] = gx[:, 0, :].numpy()
    return g if grad else loss
`;

const samples: Sample[] = [
  {
    label: "blankLabel 'first', labels padded with 0: repeats, full width, empty",
    inputs: [{ shape: [6, 3, 5] }, { shape: [3, 3], values: [1, 1, 0, 2, 3, 4, 0, 0, 0] }],
  },
  {
    label: "blankLabel 'last', padded with -1; 1 1 1 needs all 5 frames",
    inputs: [{ shape: [5, 2, 4] }, { shape: [2, 3], values: [0, 2, -1, 1, 1, 1] }],
    args: [{ blankLabel: 'last' }],
  },
  {
    label: 'data and label lengths (a data length of 0, an empty label)',
    inputs: [{ shape: [6, 4, 4] }, { shape: [4, 3], values: [1, 2, 3, 2, 0, 0, 0, 0, 0, 3, 3, 0] }, { shape: [4], values: [6, 3, 0, 4] }, { shape: [4], values: [3, 1, 0, 2] }],
    args: [{ useDataLengths: true, useLabelLengths: true }],
  },
  {
    label: "label lengths only, int32, 'last' (values past the length ignored)",
    inputs: [{ shape: [4, 2, 3] }, { shape: [2, 2], dtype: 'int32', values: [1, 7, 0, 0] }, { shape: [2], dtype: 'int32', values: [1, 2] }],
    args: [{ useLabelLengths: true, blankLabel: 'last' }],
  },
  {
    label: 'data lengths only, symbolic T',
    inputs: [{ shape: [5, 2, 4], symbolic: true }, { shape: [2, 2], values: [3, 1, 2, 2] }, { shape: [2], values: [3, 5] }],
    args: [{ useDataLengths: true }],
  },
];

const REST = "[v for v in (globals().get('c'), globals().get('d')) if v is not None]";

export const cases: OpCase[] = [
  { op: 'CTCLoss', samples, ref: `${CTC_REF}\nout = ctc_ref(a, b, ${REST}, attrs, False)` },
  { op: 'CTCLossGrad', samples, ref: `${CTC_REF}\nout = ctc_ref(a, b, ${REST}, attrs, True)` },
];
