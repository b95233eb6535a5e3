// @ts-check
/**
 * Client keys created in this tab, so the playground can use one at once. Kept in memory
 * only (gone on reload): a secret is shown once and is never written to storage or a URL.
 * @typedef {{ id: string, label: string, secret: string }} KnownKey
 */

/** @type {KnownKey[]} */
const created = [];

/** @param {KnownKey} key */
export function rememberKey(key) {
  created.unshift(key);
}

/** @param {string} id */
export function forgetKey(id) {
  const i = created.findIndex((k) => k.id === id);
  if (i >= 0) created.splice(i, 1);
}

/** @returns {readonly KnownKey[]} */
export function knownKeys() {
  return created;
}
