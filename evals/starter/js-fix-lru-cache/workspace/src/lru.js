'use strict';

/**
 * A least-recently-used cache: when full, adding a key evicts the entry that was
 * read or written longest ago.
 */
class LRUCache {
  /** @param {number} capacity most entries kept; at least 1 */
  constructor(capacity) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError('capacity must be a positive integer');
    }
    this.capacity = capacity;
    this.map = new Map(); // insertion order = least recently used first
    this.hits = 0;
    this.misses = 0;
  }

  get size() {
    return this.map.size;
  }

  has(key) {
    return this.map.has(key);
  }

  get(key) {
    if (!this.map.has(key)) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return this.map.get(key);
  }

  set(key, value) {
    if (this.map.has(key)) {
      this.map.delete(key);
    } else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value;
      this.map.delete(oldest);
    }
    this.map.set(key, value);
    return this;
  }

  delete(key) {
    return this.map.delete(key);
  }

  /** Keys from least to most recently used. */
  keys() {
    return [...this.map.keys()];
  }
}

module.exports = { LRUCache };
