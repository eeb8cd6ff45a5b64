// Talks to Rein's HTTP API on this origin. The token lives in sessionStorage and leaves the page only in the
// Authorization header of same-origin requests; it never goes into a URL.

const TOKEN_KEY = 'rein.token';

/** An error answer of the API (RFC 9457 problem+json) or a failure to reach it (status 0). */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

function headersFor(token, extra) {
  const headers = new Headers(extra);
  if (token) headers.set('Authorization', 'Bearer ' + token);
  return headers;
}

async function problemOf(response, signedIn) {
  let title = response.statusText || `HTTP ${response.status}`;
  let detail = '';
  try {
    const type = response.headers.get('Content-Type') ?? '';
    if (type.includes('json')) {
      const problem = await response.json();
      title = typeof problem.title === 'string' ? problem.title : title;
      detail = typeof problem.detail === 'string' ? problem.detail : '';
    } else {
      detail = (await response.text()).slice(0, 300);
    }
  } catch {
    // The body is not readable or not JSON: the status line is all there is.
  }
  const retryAfter = response.headers.get('Retry-After');
  if (response.status === 429 && retryAfter) detail = `${detail} Try again in ${retryAfter} s.`.trim();
  if (response.status === 401 && signedIn) {
    // The stored token stopped working (revoked, or the store changed): the app signs the user out.
    window.dispatchEvent(new CustomEvent('rein:unauthorized', { detail: { title, detail } }));
  }
  return new ApiError(response.status, title, detail);
}

function networkError(error) {
  if (error?.name === 'AbortError') return error;
  return new ApiError(0, 'Cannot reach the Rein server', String(error?.message ?? error));
}

/**
 * Calls the API: api('/v1/sessions', { method: 'POST', body: {...} }). Resolves to the parsed JSON (or text),
 * rejects with an ApiError carrying the problem's title and detail.
 * options.token checks a token that is not stored yet (sign-in).
 */
export async function api(path, options = {}) {
  const { method = 'GET', body, signal } = options;
  const token = options.token ?? getToken();
  const headers = headersFor(token, { Accept: 'application/json' });
  if (body !== undefined) headers.set('Content-Type', 'application/json');
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) throw await problemOf(response, options.token === undefined);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : response.text();
}

/**
 * Reads a Server-Sent Events stream with fetch (EventSource cannot send an Authorization header) and calls
 * onMessage({ id, event, data }) for each message. Resolves when the server ends the stream; rejects with an
 * ApiError for an error answer. lastEventId resumes after that event (Last-Event-ID header).
 */
export async function readEventStream(path, { lastEventId, signal, onMessage }) {
  const headers = headersFor(getToken(), { Accept: 'text/event-stream' });
  if (lastEventId !== null && lastEventId !== undefined) headers.set('Last-Event-ID', String(lastEventId));
  let response;
  try {
    response = await fetch(path, { headers, signal, cache: 'no-store', credentials: 'omit', redirect: 'error' });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) throw await problemOf(response, true);
  if (!response.body) throw new ApiError(0, 'The browser cannot read streamed responses', '');

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let message = { id: null, event: 'message', data: [] };
  const dispatch = () => {
    if (message.data.length > 0) {
      onMessage({ id: message.id, event: message.event, data: message.data.join('\n') });
    }
    message = { id: null, event: 'message', data: [] };
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (line === '') {
          dispatch();
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'data') message.data.push(text);
        else if (field === 'event') message.event = text;
        else if (field === 'id') message.id = text;
      }
    }
  } catch (error) {
    throw networkError(error);
  } finally {
    reader.releaseLock();
  }
}
