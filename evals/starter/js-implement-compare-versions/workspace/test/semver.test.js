'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { compareVersions, sortVersions, latestBelow } = require('../src/semver.js');

test('core versions compare numerically', () => {
  assert.equal(compareVersions('1.10.0', '1.9.0'), 1);
  assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
  assert.equal(compareVersions('0.0.9', '0.1.0'), -1);
  assert.equal(compareVersions('v2.0.0', '2.0.0'), 0);
});

test('prerelease precedence follows the spec', () => {
  const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta',
    '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(compareVersions(ordered[i], ordered[j]), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
});

test('build metadata is ignored', () => {
  assert.equal(compareVersions('1.0.0+a', '1.0.0+b'), 0);
  assert.equal(compareVersions('1.0.0-rc.1+build.5', '1.0.0-rc.1'), 0);
});

test('invalid versions throw TypeError', () => {
  for (const bad of ['1.2', '1.2.3.4', '01.2.3', '1.2.3-', '1.2.x', '', 'x1.2.3', '1.2.3-a..b', null, 123]) {
    assert.throws(() => compareVersions(bad, '1.0.0'), TypeError, String(bad));
    assert.throws(() => compareVersions('1.0.0', bad), TypeError, String(bad));
  }
});

test('sortVersions and latestBelow use the precedence', () => {
  assert.deepEqual(sortVersions(['1.0.0', '1.0.0-rc.1', '0.9.12', '1.0.0-beta.11', '1.0.0-beta.2']),
    ['0.9.12', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']);
  assert.equal(latestBelow(['1.2.0', '1.10.0', '2.0.0-rc.1', '2.0.0'], '2.0.0-rc.2'), '2.0.0-rc.1');
});
