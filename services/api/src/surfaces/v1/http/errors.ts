import type { ErrorBody, ErrorCode } from '@ddns/v1-schema';
import type { Response } from 'express';
import type { ZodError } from 'zod';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  totp_required: 401,
  email_unverified: 403,
  csrf: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  signup_closed: 403,
  rate_limited: 429,
  unavailable: 503,
  not_available: 404,
};

/** A refusal in the /v1 error format (see ErrorBody). Thrown by handlers, answered by the route wrapper. */
export class V1Error extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: Record<string, string>,
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export function sendError(res: Response, err: V1Error): void {
  if (res.headersSent) return;
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.fields) body.error.fields = err.fields;
  if (err.retryAfter !== undefined) {
    body.error.retryAfter = err.retryAfter;
    res.setHeader('Retry-After', String(err.retryAfter));
  }
  res.status(err.status).json(body);
}

/** A zod failure as field errors: `{ "priority": "Number must be less than or equal to 65535" }`. */
export function fieldErrors(err: ZodError, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of err.issues) {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)';
    out[path] ??= issue.message;
  }
  return out;
}

export const invalidField = (field: string, message: string) =>
  new V1Error('invalid', message, { [field]: message });
