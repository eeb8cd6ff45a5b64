'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { LRUCache } = require('../src/lru.js');

test('evicts the oldest entry when full', () => {
  const cache = new LRUCache(2);
  cache.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(cache.has('a'), false);
  assert.deepEqual(cache.keys(), ['b', 'c']);
});

test('get marks the entry as recently used', () => {
  const cache = new LRUCache(2);
  cache.set('a', 1).set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.deepEqual(cache.keys(), ['a', 'c']);
});

test('set on an existing key refreshes it without evicting', () => {
  const cache = new LRUCache(2);
  cache.set('a', 1).set('b', 2).set('a', 10);
  assert.equal(cache.size, 2);
  assert.deepEqual(cache.keys(), ['b', 'a']);
  assert.equal(cache.get('a'), 10);
});

test('a stored undefined is a hit', () => {
  const cache = new LRUCache(1);
  cache.set('x', undefined);
  assert.equal(cache.get('x'), undefined);
  assert.equal(cache.get('y'), undefined);
  assert.deepEqual([cache.hits, cache.misses], [1, 1]);
});

test('rejects a bad capacity', () => {
  assert.throws(() => new LRUCache(0), RangeError);
  assert.throws(() => new LRUCache(1.5), RangeError);
});
