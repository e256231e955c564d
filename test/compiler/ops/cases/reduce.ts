/** Table entries for the reduce operators. */
import type { OpCase } from '../case.js';

export const cases: OpCase[] = [];
