/**
 * The README's TypeScript examples run as written: the first half here, the
 * second in readme-second-half.test.ts (how they run: helpers/readme-examples.ts).
 */
import assert from 'node:assert/strict';
import { README_BLOCKS, readmeExamples } from './helpers/readme-examples.js';

it('the README has TypeScript examples', () => assert.ok(README_BLOCKS.length >= 3));

readmeExamples((i) => i < Math.ceil(README_BLOCKS.length / 2));
