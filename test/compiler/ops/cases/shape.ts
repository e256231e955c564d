/** Table entries for the shape operators. */
import type { OpCase } from '../case.js';

export const cases: OpCase[] = [];
