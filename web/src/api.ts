/**
 * The one way the web app talks to the server: JSON over fetch with the session cookie, the CSRF token
 * on every non-GET request, and errors turned into ApiError whatever their shape
 * (`{ error: { code, message } }` outside /fhir, an OperationOutcome on /fhir).
 */

/** An error answer from the server, with the message to show as is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** Remembers the CSRF token from sign-in or the session, sent with every non-GET request. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a request outside /auth answers 401 (the session ended): the app returns to sign-in. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

interface OperationOutcomeLike {
  resourceType: 'OperationOutcome';
  issue?: { diagnostics?: string; details?: { text?: string }; code?: string }[];
}

function errorFrom(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object') {
    if ((body as OperationOutcomeLike).resourceType === 'OperationOutcome') {
      const issue = (body as OperationOutcomeLike).issue?.[0];
      return new ApiError(
        status,
        issue?.code ?? 'error',
        issue?.diagnostics ?? issue?.details?.text ?? `the server answered ${status}`,
        body,
      );
    }
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } }).error;
    if (error)
      return new ApiError(status, error.code ?? 'error', error.message ?? `error ${status}`, error.details);
  }
  return new ApiError(status, 'error', `the server answered ${status}`);
}

/** Sends a request and returns the parsed JSON body; throws ApiError on a non-2xx answer. */
export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'The server could not be reached. Check the connection and try again.');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/auth/')) onUnauthorized?.();
    throw errorFrom(response.status, parsed);
  }
  return parsed as T;
}

/** GET helper for TanStack Query: `queryFn: ({ signal }) => get('/fhir/...', signal)`. */
export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', path, undefined, signal);
}

/** POST helper. */
export function post<T>(path: string, body?: unknown): Promise<T> {
  return request<T>('POST', path, body ?? {});
}

/** Builds a query string from defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return pairs.length
    ? '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')
    : '';
}
