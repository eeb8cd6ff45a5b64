'use strict';

/**
 * Compares two semantic versions (https://semver.org, 2.0.0) by precedence.
 *
 * A version is MAJOR.MINOR.PATCH with optional "-PRERELEASE" and "+BUILD" parts,
 * e.g. "1.4.0", "2.0.0-rc.1", "1.0.0-alpha+exp.sha.5114f85". A leading "v" is allowed.
 *
 * - MAJOR, MINOR and PATCH compare numerically ("1.10.0" > "1.9.0").
 * - A version with a prerelease is lower than the same version without one
 *   ("1.0.0-rc.1" < "1.0.0").
 * - Prereleases compare identifier by identifier (split on "."): numeric identifiers
 *   numerically, others as ASCII strings, a numeric identifier is lower than a
 *   non-numeric one, and when all shared identifiers are equal the one with fewer
 *   identifiers is lower ("1.0.0-alpha" < "1.0.0-alpha.1" < "1.0.0-alpha.beta"
 *   < "1.0.0-beta" < "1.0.0-beta.2" < "1.0.0-beta.11" < "1.0.0-rc.1").
 * - BUILD metadata is ignored ("1.0.0+a" equals "1.0.0+b").
 *
 * @param {string} a
 * @param {string} b
 * @returns {-1 | 0 | 1} -1 if a < b, 0 if they have the same precedence, 1 if a > b
 * @throws {TypeError} if either argument is not a valid version string
 *   (e.g. "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.x", or not a string)
 */
function compareVersions(a, b) {
  throw new Error('not implemented');
}

/** Sorts version strings from lowest to highest precedence (a new array). */
function sortVersions(versions) {
  return [...versions].sort(compareVersions);
}

/** Returns the highest version at or below `limit`, or undefined. */
function latestBelow(versions, limit) {
  return sortVersions(versions).filter((v) => compareVersions(v, limit) <= 0).pop();
}

module.exports = { compareVersions, sortVersions, latestBelow };
