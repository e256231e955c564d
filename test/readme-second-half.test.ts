/**
 * The README's TypeScript examples run as written: the second half here, the
 * first in readme.test.ts (how they run: helpers/readme-examples.ts).
 */
import { README_BLOCKS, readmeExamples } from './helpers/readme-examples.js';

readmeExamples((i) => i >= Math.ceil(README_BLOCKS.length / 2));
