/** Table entries for the linalg operators. */
import type { OpCase } from '../case.js';

export const cases: OpCase[] = [];
