/** Table entries for the nn operators. */
import type { OpCase } from '../case.js';

export const cases: OpCase[] = [];
