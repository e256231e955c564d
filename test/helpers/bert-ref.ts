/**
 * An independent BERT in PyTorch for test/models/bert.test.ts, written by
 * hand from Devlin et al. and GluonNLP 0.x's bert.py (no gluonc code): word +
 * token-type + learned position embeddings, LayerNorm, post-norm layers of
 * multi-head self-attention (scores / sqrt(d), keys at or past a sample's
 * valid length masked with -inf) and an exact-erf GELU feed-forward network,
 * padded positions zeroed (GluonNLP 0.9+'s SequenceMask), the pooler
 * tanh(W·h[:, 0] + b) and the classifier Dense (without pre-training, also
 * every layer's encoding, zero past the valid length, and attention
 * probabilities [N, heads, T, T]); for pre-training
 * (`cfg.pretrain`) the next-sentence Dense, the masked-LM decoder (rows at
 * each sample's masked positions by advanced indexing, Dense, GELU,
 * LayerNorm, then the word embedding's own matrix transposed plus a bias:
 * one tensor, so its gradient sums both uses) and GluonNLP's loss
 * (softmax CE at the masked positions weighted by masked_weights over their
 * sum + 1e-8, plus the mean next-sentence CE). Parameters travel by
 * GluonNLP's names; the optimizers are torch.optim's Adam and AdamW with the
 * per-step hyperparameters that make them MXNet's / GluonNLP's rules.
 */
import { runPython } from './python-server.js';

/** One job's reference: reads `job`, leaves the answer in `out` (DRIVER runs it once per job). */
const SCRIPT = String.raw`
import math
import torch
import torch.nn.functional as Fn
dt = torch.float64 if job['dtype'] == 'float64' else torch.float32
c = job['cfg']
U, H, L, eps, head = c['units'], c['heads'], c['layers'], c['eps'], c['head']
pre_b = c.get('prefix', 'bert.')
pretrain = c.get('pretrain', False)
d = U // H
P = {k: torch.tensor(v['data'], dtype=dt).reshape(v['shape']).requires_grad_() for k, v in job['params'].items()}
seen = []
def dense(x, pre):
    return x @ P[pre + 'weight'].T + P[pre + 'bias']
def ln(x, pre):
    return Fn.layer_norm(x, (U,), P[pre + 'gamma'], P[pre + 'beta'], eps)
def bert(ids, types, vl):
    N, T = ids.shape
    x = P[pre_b + 'word_embed.0.weight'][ids] + P[pre_b + 'token_type_embed.0.weight'][types] + P[pre_b + 'encoder.position_weight'][:T]
    x = ln(x, pre_b + 'encoder.layer_norm.')
    valid = torch.arange(T)[None, :] < vl[:, None]
    seen.clear()
    for l in range(L):
        pre = pre_b + 'encoder.transformer_cells.%d.' % l
        heads = lambda y: y.reshape(N, T, H, d).transpose(1, 2)
        q = heads(dense(x, pre + 'attention_cell.proj_query.'))
        k = heads(dense(x, pre + 'attention_cell.proj_key.'))
        v = heads(dense(x, pre + 'attention_cell.proj_value.'))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        s = s.masked_fill(~valid[:, None, None, :], float('-inf'))
        a = torch.softmax(s, dim=-1)
        ctx = (a @ v).transpose(1, 2).reshape(N, T, U)
        x = ln(dense(ctx, pre + 'proj.') + x, pre + 'layer_norm.')
        h = Fn.gelu(dense(x, pre + 'ffn.ffn_1.'))
        x = ln(dense(h, pre + 'ffn.ffn_2.') + x, pre + 'ffn.layer_norm.')
        seen.append((x * valid[:, :, None].to(dt), a))
    seq = x * valid[:, :, None].to(dt)
    pooled = torch.tanh(dense(seq[:, 0], pre_b + 'pooler.'))
    return seq, pooled, dense(pooled, head)
def decode(seq, positions):
    h = seq[torch.arange(seq.shape[0])[:, None], positions]
    h = ln(Fn.gelu(dense(h, 'decoder.0.')), 'decoder.2.')
    return h @ P['word_embed.0.weight'].T + P['decoder.3.bias']
def batch(b):
    return torch.tensor(b['ids']).long(), torch.tensor(b['types']).long(), torch.tensor(b['vl']).long()
def flat(t):
    return t.detach().double().reshape(-1).tolist()
def pretrain_of(b):
    seq, pooled, nsp = bert(*batch(b))
    dec = decode(seq, torch.tensor(b['positions']).long())
    w = torch.tensor(b['weights'], dtype=dt).reshape(-1)
    ce = Fn.cross_entropy(dec.reshape(-1, dec.shape[-1]), torch.tensor(b['masked']).long().reshape(-1), reduction='none')
    ls1 = (ce * w).sum() / (w.sum() + 1e-8)
    ls2 = Fn.cross_entropy(nsp, torch.tensor(b['labels']).long())
    return seq, pooled, nsp, dec, ls1, ls2
out = {'forward': [], 'grads': None, 'params': None}
for b in job['batches']:
    if pretrain:
        seq, pooled, nsp, dec, ls1, ls2 = pretrain_of(b)
        out['forward'].append({'seq': flat(seq), 'pooled': flat(pooled), 'logits': flat(nsp), 'decoded': flat(dec), 'losses': [ls1.item(), ls2.item()]})
    else:
        seq, pooled, logits = bert(*batch(b))
        out['forward'].append({'seq': flat(seq), 'pooled': flat(pooled), 'logits': flat(logits), 'layers': [flat(x) for x, _ in seen], 'attention': [flat(a) for _, a in seen]})
def loss_of(b):
    if pretrain:
        ls1, ls2 = pretrain_of(b)[4:]
        return ls1 + ls2
    logits = bert(*batch(b))[2]
    return Fn.cross_entropy(logits, torch.tensor(b['labels']).long(), reduction='sum')
if job.get('grads'):
    loss_of(job['batches'][0]).backward()
    out['grads'] = {k: flat(p.grad) for k, p in P.items()}
    for p in P.values():
        p.grad = None
o = job.get('optim')
if o:
    lr, wd, b1, b2, e = o['lr'], o['wd'], o['beta1'], o['beta2'], o['epsilon']
    ps = list(P.values())
    opt = torch.optim.Adam(ps, lr=lr, betas=(b1, b2), weight_decay=wd) if o['name'] == 'adam' else torch.optim.AdamW(ps, lr=lr, betas=(b1, b2), weight_decay=wd)
    for t in range(1, o['steps'] + 1):
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        g = opt.param_groups[0]
        # torch divides by sqrt(v / c2) + eps; MXNet by sqrt(v) + eps after folding sqrt(c2) into the rate.
        g['eps'] = e / math.sqrt(c2)
        if o['name'] == 'adamw':
            # MXNet's AdamW (adamw_update with eta = lr * sqrt(c2) / c1): decay lr_t * wd * w; torch decays lr * wd' * w.
            g['lr'], g['weight_decay'] = lr, wd * math.sqrt(c2) / c1
        elif o['name'] == 'bertadam':
            # GluonNLP's BERTAdam: no bias correction, w -= lr * (m / (sqrt(v) + eps) + wd * w).
            g['lr'] = lr * c1 / math.sqrt(c2)
            g['weight_decay'] = lr * wd / g['lr']
        opt.zero_grad()
        b = job['batches'][(t - 1) % len(job['batches'])]
        # The classifier's summed loss over trainer.step(batch size); the pre-training loss is normalized already (step(1)).
        (loss_of(b) / (1 if pretrain else len(b['labels']))).backward()
        opt.step()
    out['params'] = {k: flat(p) for k, p in P.items()}
`;

/** Runs SCRIPT for each job of the list on stdin, each in fresh globals, in one process (torch is imported once). */
const DRIVER = String.raw`
import json, sys
outs = []
for job in json.load(sys.stdin):
    g = {'job': job}
    exec(sys.argv[1], g)
    outs.append(g['out'])
json.dump(outs, sys.stdout)
`;

/** One batch: token ids, types, valid lengths and (for losses) labels. */
export interface RefBatch {
  ids: number[][];
  types: number[][];
  vl: number[];
  labels?: number[];
  /** Pre-training: masked positions [N][M], the ids there and their weights (GluonNLP's masked_position, masked_id, masked_weight); `labels` are the next-sentence labels. */
  positions?: number[][];
  masked?: number[][];
  weights?: number[][];
}

/** What the PyTorch reference computes. */
export interface RefJob {
  dtype: 'float32' | 'float64';
  /** `prefix`: of the BERTModel's parameter names ('bert.' by default, a BERTClassifier's); `pretrain`: the decoder, next-sentence head and GluonNLP's pre-training loss. */
  cfg: { units: number; heads: number; layers: number; eps: number; head: string; prefix?: string; pretrain?: boolean };
  params: Record<string, { shape: number[]; data: number[] }>;
  batches: RefBatch[];
  grads?: boolean;
  optim?: { name: 'adam' | 'adamw' | 'bertadam'; lr: number; wd: number; beta1: number; beta2: number; epsilon: number; steps: number };
}

/** The reference's results (flat float64 values). */
export interface RefOut {
  /** With `pretrain`: `logits` are the next-sentence scores, `decoded` the masked-LM scores, `losses` GluonNLP's [masked-LM, next-sentence]. */
  forward: { seq: number[]; pooled: number[]; logits: number[]; decoded?: number[]; losses?: [number, number]; layers?: number[][]; attention?: number[][] }[];
  grads: Record<string, number[]> | null;
  params: Record<string, number[]> | null;
}

/** Runs the PyTorch reference for each job, all in one request to the python3 reference server (python-server.ts). */
export function torchBerts(jobs: RefJob[]): RefOut[] {
  const r = runPython(DRIVER, { args: [SCRIPT], input: JSON.stringify(jobs) });
  if (r.status !== 0) throw new Error(`python3 (torch BERT reference) failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as RefOut[];
}

/** Runs the PyTorch reference for one job. */
export function torchBert(job: RefJob): RefOut {
  return torchBerts([job])[0]!;
}

/**
 * The references a test file asks for, answered together: `prefetch` runs
 * the jobs a file's tests will ask for in one process (in a `before` hook);
 * `get` answers a job equal to a prefetched one (the whole job, parameters
 * included, is the key: the reference is a function of it) from there, and
 * any other job by running it.
 *
 * ```ts
 * const refs = new TorchBertRefs();
 * before(() => refs.prefetch([job(classifier('float64', 1), 'float64', BATCHES)]));
 * const ref = refs.get(job(net, 'float64', BATCHES));
 * ```
 */
export class TorchBertRefs {
  private readonly answers = new Map<string, RefOut>();
  /** Jobs `get` had to run itself (none when the prefetch list matches the tests). */
  misses = 0;

  prefetch(jobs: RefJob[]): void {
    const keys = jobs.map((j) => JSON.stringify(j));
    const fresh = [...new Set(keys)].filter((k) => !this.answers.has(k));
    const outs = torchBerts(fresh.map((k) => JSON.parse(k) as RefJob));
    fresh.forEach((k, i) => this.answers.set(k, outs[i]!));
  }

  get(job: RefJob): RefOut {
    const key = JSON.stringify(job);
    let out = this.answers.get(key);
    if (out === undefined) {
      this.misses++;
      out = torchBert(job);
      this.answers.set(key, out);
    }
    return out;
  }
}
