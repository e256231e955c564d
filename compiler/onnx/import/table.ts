/**
 * The one table of the importer: ONNX operator (default domain) -> builder,
 * merged from the family files, plus the operators known not to map yet
 * with the reason given in their refusal.
 */
import type { Value } from '../../ir/value.js';
import { ATTENTION_IMPORTS, PREVIEW_IMPORTS } from './attention.js';
import type { Builder, ImportCtx } from './context.js';
import { ELEMENTWISE_IMPORTS } from './elementwise.js';
import { GATHER_IMPORTS } from './gather.js';
import { GRID_SAMPLE_IMPORTS } from './grid-sample.js';
import { IMAGE_IMPORTS } from './image.js';
import { LINEAR_ATTENTION_IMPORTS } from './linear-attention.js';
import { LOSS_IMPORTS } from './loss.js';
import { ML_IMPORTS } from './ml.js';
import { MODERN_IMPORTS } from './modern.js';
import { NN_IMPORTS } from './nn.js';
import { QUANTIZED_IMPORTS } from './quantized.js';
import { RANDOM_IMPORTS } from './random.js';
import { REDUCE_IMPORTS } from './reduce.js';
import { RNN_IMPORTS } from './rnn.js';
import { ROI_ALIGN_IMPORTS } from './roi-align.js';
import { SCATTER_IMPORTS } from './scatter.js';
import { SHAPE_AWARE } from './shape-values.js';
import { SHAPE_IMPORTS } from './shape.js';
import { SIGNAL_IMPORTS } from './signal.js';
import { TFIDF_IMPORTS } from './tfidf.js';
import { TRAINING_DOMAIN, TRAINING_IMPORTS } from './training.js';

/** Every mapped ONNX operator and its builder. */
export const IMPORTS: Readonly<Record<string, Builder>> = {
  ...ELEMENTWISE_IMPORTS,
  ...REDUCE_IMPORTS,
  ...SHAPE_IMPORTS,
  ...NN_IMPORTS,
  ...LOSS_IMPORTS,
  ...GATHER_IMPORTS,
  ...RNN_IMPORTS,
  ...SCATTER_IMPORTS,
  ...SIGNAL_IMPORTS,
  ...GRID_SAMPLE_IMPORTS,
  ...IMAGE_IMPORTS,
  ...QUANTIZED_IMPORTS,
  ...ROI_ALIGN_IMPORTS,
  ...RANDOM_IMPORTS,
  ...TFIDF_IMPORTS,
  ...MODERN_IMPORTS,
  ...ATTENTION_IMPORTS,
  ...LINEAR_ATTENTION_IMPORTS,
};

/** The mapped operators of other ONNX domains, by domain (ai.onnx.ml's forms of its opsets 1-5 are told apart by their attributes: ml.ts). */
export const DOMAIN_IMPORTS: Readonly<Record<string, Readonly<Record<string, Builder>>>> = { [TRAINING_DOMAIN]: TRAINING_IMPORTS, 'ai.onnx.preview': PREVIEW_IMPORTS, 'ai.onnx.ml': ML_IMPORTS };

/** ONNX operators that do not map yet, and why (named in the refusal). */
export const NOT_YET: Readonly<Record<string, string>> = {};

/** The sequence operators the reader maps where sequences are built and read inside the file (compiler/onnx/read-sequence.ts). */
export const SEQUENCE_OPS: ReadonlySet<string> = new Set(['SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceErase', 'SequenceAt', 'SequenceLength', 'ConcatFromSequence', 'SplitToSequence', 'SequenceMap']);

/** The optional operators, decided as the file is read where presence is known (compiler/onnx/read-boundary.ts). */
export const OPTIONAL_OPS: ReadonlySet<string> = new Set(['Optional', 'OptionalHasElement', 'OptionalGetElement']);

/**
 * Maps one ONNX node (of the default domain, or of `domain`) onto gluonc operators: the values of its outputs.
 *
 * ```ts
 * const outs = importNode(makeImportCtx(node, 'conv1', 17, hooks));
 * ```
 */
export function importNode(c: ImportCtx, domain = ''): Value[] {
  if (domain) {
    const d = DOMAIN_IMPORTS[domain]?.[c.opType];
    if (!d) throw new Error(`readModel: ONNX operator '${domain}.${c.opType}' (node '${c.label}') has no gluonc equivalent: ${DOMAIN_IMPORTS[domain] ? `only ${Object.keys(DOMAIN_IMPORTS[domain]!).join(', ')} of its domain are mapped` : 'operators of other domains are not mapped'}`);
    return checkAttributesRead(c, d(c));
  }
  const aware = SHAPE_AWARE[c.opType]?.(c);
  if (aware) return checkAttributesRead(c, aware);
  const b = IMPORTS[c.opType];
  if (!b) throw c.refuse(NOT_YET[c.opType]);
  return checkAttributesRead(c, b(c));
}

/**
 * The one rule for attributes: one the node sets that its builder never read
 * (an attribute a newer opset added, say SpaceToDepth-28's `mode`) is refused
 * by name, never dropped, since computing without it may give other numbers.
 * Builders name the attributes that cannot change their result with `attr.ignore`.
 */
export function checkAttributesRead(c: ImportCtx, outs: Value[]): Value[] {
  const unread = c.attr.unread();
  if (unread.length) throw c.refuse(`attribute${unread.length > 1 ? 's' : ''} ${unread.map((a) => `'${a}'`).join(', ')} (opset ${c.opset}) not supported: gluonc does not read ${unread.length > 1 ? 'them' : 'it'}, and ignoring ${unread.length > 1 ? 'them' : 'it'} could change the result`);
  return outs;
}

/**
 * Operators the reader maps itself, around this table: `If`, `Loop` and `Scan` when decided as the file is read
 * (compiler/onnx/read-control.ts), the sequence operators where sequences' lengths are known as it is read (read-sequence.ts),
 * and the optional operators (read-boundary.ts).
 */
export const READER_OPS: ReadonlySet<string> = new Set(['If', 'Loop', 'Scan', ...SEQUENCE_OPS, ...OPTIONAL_OPS]);

/** True when the importer maps `opType` (default ONNX domain), in some or all of its forms. */
export function canImport(opType: string): boolean {
  return opType in IMPORTS || READER_OPS.has(opType);
}
