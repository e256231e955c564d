/** Every family's table entries (one file per family of `compiler/ops`). */
import type { OpCase } from '../case.js';
import { cases as bitcast } from './bitcast.js';
import { cases as bitwise } from './bitwise.js';
import { cases as contrib } from './contrib.js';
import { cases as creation } from './creation.js';
import { cases as elementwise } from './elementwise.js';
import { cases as groupNorm } from './group-norm.js';
import { cases as heads } from './heads.js';
import { cases as linalg } from './linalg.js';
import { cases as nn } from './nn.js';
import { cases as dataDependent } from './data-dependent.js';
import { cases as quantized } from './quantized.js';
import { cases as narrow } from './narrow.js';
import { cases as random } from './random.js';
import { cases as unpool } from './unpool.js';
import { cases as roi } from './roi.js';
import { cases as reduce } from './reduce.js';
import { cases as rnn } from './rnn.js';
import { cases as scatter } from './scatter.js';
import { cases as sequence } from './sequence.js';
import { cases as shape } from './shape.js';
import { cases as sort } from './sort.js';
import { cases as loop } from './loop.js';
import { cases as multibox } from './multibox.js';
import { cases as ctc } from './ctc.js';
import { cases as deformableConv } from './deformable-conv.js';

export const CASES: OpCase[] = [...elementwise, ...bitwise, ...bitcast, ...reduce, ...shape, ...linalg, ...nn, ...heads, ...sort, ...sequence, ...creation, ...contrib, ...scatter, ...groupNorm, ...rnn, ...dataDependent, ...quantized, ...narrow, ...unpool, ...roi, ...multibox, ...ctc, ...deformableConv, ...loop, ...random];
