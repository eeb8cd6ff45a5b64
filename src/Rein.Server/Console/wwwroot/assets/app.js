// The Rein web console: a small client-side router over the pages, and sign-in with a pasted API token.
import { api, ApiError, clearToken, getToken, setToken } from './api.js';
import { h, showError } from './dom.js';
import * as sessions from './sessions.js';
import * as session from './session.js';
import * as approvals from './approvals.js';
import * as trace from './trace.js';
import * as cost from './cost.js';

const routes = [
  { pattern: /^\/(sessions\/?)?$/, page: sessions, title: 'Sessions' },
  { pattern: /^\/sessions\/([^/]+)$/, page: session, title: 'Session' },
  { pattern: /^\/approvals\/?$/, page: approvals, title: 'Approvals' },
  { pattern: /^\/cost\/?$/, page: cost, title: 'Cost' },
  { pattern: /^\/trace\/([^/]+)$/, page: trace, title: 'Trace' },
];

const main = document.getElementById('main');
let leavePage = null;
let me = null;

/** Shows another console page without reloading. */
export function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  render(true);
}

const context = { navigate, me: () => me };

function setSignedIn(principal) {
  me = principal;
  document.getElementById('nav').hidden = !principal;
  document.getElementById('who').hidden = !principal;
  document.getElementById('who-name').textContent = principal ? `${principal.name} (${principal.role})` : '';
}

function markCurrentLink() {
  for (const a of document.querySelectorAll('#nav a')) {
    const here = a.getAttribute('href') === '/' ? /^\/(sessions.*)?$/.test(location.pathname) : location.pathname.startsWith(a.getAttribute('href'));
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function render(moveFocus) {
  leavePage?.();
  leavePage = null;
  if (!getToken()) {
    setSignedIn(null);
    renderSignIn();
    return;
  }
  if (!me) {
    try {
      setSignedIn(await api('/v1/me'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // rein:unauthorized has signed out
      main.replaceChildren(h('h1', {}, 'Rein'));
      const slot = h('div');
      main.append(slot, h('button', { type: 'button', onclick: () => render(true) }, 'Try again'));
      showError(slot, error);
      return;
    }
  }
  const path = decodeURI(location.pathname);
  const route = routes.find((r) => r.pattern.test(location.pathname));
  markCurrentLink();
  main.replaceChildren();
  if (!route) {
    document.title = 'Not found · Rein';
    main.append(h('h1', {}, 'Page not found'), h('p', {}, `The console has no page at ${path}.`));
    return;
  }
  const match = location.pathname.match(route.pattern);
  const parameter = match[1] && !match[1].startsWith('sessions') ? decodeURIComponent(match[1]) : null;
  document.title = `${route.title} · Rein`;
  leavePage = route.page.render(main, parameter, context) ?? null;
  if (moveFocus) main.focus();
}

function renderSignIn() {
  document.title = 'Sign in · Rein';
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const errorSlot = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  // The input has no name, so even a form submitted without this script could not put the token in a URL.
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', {}, 'Paste an API token made with ', h('code', {}, 'rein principals add NAME --role ROLE'),
      ' or ', h('code', {}, 'rein principals token NAME'), '. It is kept in this tab only.'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('div', { class: 'actions' }, button),
    errorSlot);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    showError(errorSlot, null);
    if (!token) {
      showError(errorSlot, { title: 'Enter a token', detail: 'Paste the token that rein printed.' });
      return;
    }
    button.disabled = true;
    try {
      const principal = await api('/v1/me', { token });
      setToken(token);
      setSignedIn(principal);
      render(true);
    } catch (error) {
      showError(errorSlot, error.status === 401
        ? { title: 'Sign-in failed', detail: 'The server did not accept this token (unknown or revoked).' }
        : error);
      input.focus();
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(form);
  input.focus();
}

function signOut() {
  clearToken();
  setSignedIn(null);
  history.pushState(null, '', '/');
  render(true);
}

document.getElementById('sign-out').addEventListener('click', signOut);

window.addEventListener('rein:unauthorized', () => {
  clearToken();
  setSignedIn(null);
  render(true);
  const slot = main.querySelector('[aria-live]');
  if (slot) showError(slot, { title: 'Signed out', detail: 'The server no longer accepts this token. Sign in again.' });
});

window.addEventListener('popstate', () => render(true));

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.target.closest('a[href]');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/assets/') || url.pathname.startsWith('/v1/')) return;
  if (url.hash && url.pathname === location.pathname) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

render(false);
