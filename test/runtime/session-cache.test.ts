/**
 * The one cache (runtime/session-cache.ts): least-recently-used eviction,
 * every entry that leaves is released exactly once, hits are counted.
 */
import assert from 'node:assert/strict';
import { counters, resetCounters } from 'gluonc/runtime';
import { SessionCache } from '../../runtime/session-cache.js';

function cache(size: number, hitCounter?: 'cacheHits') {
  const released: string[] = [];
  const c = new SessionCache<string>({ size, release: (v) => released.push(v), hitCounter });
  return { c, released };
}

describe('SessionCache', () => {
  it('evicts the least recently used past its size, releasing it', () => {
    const { c, released } = cache(2);
    c.get('a', () => 'A');
    c.get('b', () => 'B');
    assert.equal(c.get('a', () => 'A2'), 'A', 'a hit returns the held entry');
    c.get('c', () => 'C'); // b is the least recently used now
    assert.deepEqual(released, ['B']);
    assert.deepEqual([...c.values()], ['A', 'C']);
    assert.equal(c.size, 2);
  });

  it('counts hits in the profiler only when asked, and peek neither counts nor reorders', () => {
    resetCounters();
    const { c } = cache(2, 'cacheHits');
    c.get('a', () => 'A');
    c.get('a', () => 'A');
    c.lookup('a');
    assert.equal(counters().cacheHits, 2);
    c.get('b', () => 'B');
    assert.equal(c.peek('a'), 'A');
    assert.equal(counters().cacheHits, 2);
    assert.deepEqual([...c.values()], ['A', 'B']);
    const quiet = cache(2);
    quiet.c.get('x', () => 'X');
    quiet.c.get('x', () => 'X');
    assert.equal(counters().cacheHits, 2);
  });

  it('delete, clear, replacing an entry and lowering the limit release each entry once', () => {
    const { c, released } = cache(3);
    c.set('a', 'A');
    c.set('b', 'B');
    c.set('c', 'C');
    c.set('a', 'A2'); // replaces A
    c.delete('b');
    c.delete('missing');
    c.limit = 1; // keeps the most recent: A2
    assert.deepEqual(released, ['A', 'B', 'C']);
    c.clear();
    assert.deepEqual(released, ['A', 'B', 'C', 'A2']);
    assert.equal(c.size, 0);
  });

  it('repeated hits of the most recent key (the per-step case) keep the order right through delete, clear and eviction', () => {
    const { c, released } = cache(2);
    c.get('a', () => 'A');
    c.get('a', () => 'A');
    c.get('b', () => 'B');
    c.get('b', () => 'B');
    c.lookup('a'); // a becomes the most recent again
    c.lookup('a');
    c.get('c', () => 'C'); // evicts b, the least recently used
    assert.deepEqual(released, ['B']);
    assert.deepEqual([...c.values()], ['A', 'C']);
    c.delete('c'); // the most recent leaves: a hit of a must still count as most recent
    c.set('d', 'D');
    c.lookup('a');
    c.set('e', 'E'); // evicts d
    assert.deepEqual(released, ['B', 'C', 'D']);
    assert.deepEqual([...c.values()], ['A', 'E']);
    c.clear();
    c.set('a', 'A3');
    c.set('f', 'F');
    c.lookup('a');
    c.set('g', 'G'); // evicts f
    assert.deepEqual([...c.values()], ['A3', 'G']);
  });

  it('refuses a size below 1', () => {
    assert.throws(() => cache(0), /SessionCache: the size must be at least 1, got 0/);
    const { c } = cache(1);
    assert.throws(() => (c.limit = 0.5), /at least 1, got 0.5/);
  });
});
