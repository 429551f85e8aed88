/**
 * The one way the dashboard talks to the API: JSON over fetch, same origin, the session cookie, and the
 * session's CSRF token (from login or whoami) on every unsafe method. Failures become ApiError with the API's
 * code and message and, for validation errors, a message per field path (`priority`, `scopes.domains.0`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
    readonly code?: string,
  ) {
    super(message);
  }
}

const CSRF_HEADER = 'X-CSRF-Token';
let csrf: string | undefined;

/** The session's CSRF token: set after login and after whoami (a reload), cleared at logout. */
export function setCsrfToken(token: string | undefined): void {
  csrf = token;
}

interface ErrorBody {
  error?: string | { code?: string; message?: string; fields?: Record<string, string> };
  message?: string;
  code?: string;
  issues?: { path?: (string | number)[]; message?: string }[];
  fields?: Record<string, string>;
  details?: { path?: (string | number)[]; message?: string }[];
}

export function toApiError(status: number, body: unknown): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const err = typeof b.error === 'object' ? b.error : undefined;
  const fields: Record<string, string> = { ...(b.fields ?? {}), ...(err?.fields ?? {}) };
  for (const issue of b.issues ?? b.details ?? []) {
    const key = (issue.path ?? []).filter((p) => typeof p === 'string').join('.') || '_';
    if (issue.message && !fields[key]) fields[key] = issue.message;
  }
  const code = err?.code ?? b.code ?? (typeof b.error === 'string' ? b.error : undefined);
  const message =
    err?.message ??
    b.message ??
    (typeof b.error === 'string' ? b.error : undefined) ??
    (status === 429 ? 'Too many requests: wait a moment and try again.' : `Request failed (${status}).`);
  return new ApiError(status, message, fields, code);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check the connection and try again.');
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text.trim() };
    }
  }
  if (!res.ok) throw toApiError(res.status, parsed);
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};
