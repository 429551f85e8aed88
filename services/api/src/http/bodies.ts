import express, { type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { unsafeText } from './text';

/** What a surface accepts as a request body. Sizes in bytes. */
export interface BodyOptions {
  /** a declared Content-Length above this is refused (413) before anything is read */
  maxBytes: number;
  urlencoded?: { limit: number; parameterLimit: number };
  json?: { limit: number; anyType?: boolean };
  /**
   * refuse parameters (query and body) with a NUL or a lone surrogate (default true); off only where the
   * surface's own parse step answers them per value (the updater's `notfqdn` per host)
   */
  rejectUnsafeText?: boolean;
  multipart?: {
    limits: {
      fields: number;
      fieldSize: number;
      fieldNameSize?: number;
      parts: number;
      files: number;
      fileSize?: number;
    };
  };
}

/** Answers a request whose body or parameters cannot be used, in the surface's own format. */
export type BadInput = (req: Request, res: Response, status: number, message: string) => void;

/** Status and a fixed message (never echoing the input) for a body parser's failure. */
export function bodyFailure(err: unknown): { status: number; message: string } {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_UNEXPECTED_FILE' || err.code === 'LIMIT_FILE_COUNT')
      return { status: 400, message: 'the form carries a file where none (or fewer) are accepted' };
    return { status: 413, message: `the form is too large (${err.message.toLowerCase()})` };
  }
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (status === 413) return { status: 413, message: 'the request body is too large' };
  if (status === 415) return { status: 415, message: 'unsupported body charset or content encoding' };
  // malformed JSON, truncated or boundary-less multipart, aborted uploads, bad gzip, ...
  return { status: 400, message: 'the request body could not be read' };
}

/**
 * Body parsers (urlencoded, multipart, JSON: whichever the surface accepts), read on every method (DELETE
 * included: acme.sh and lego send `DELETE /api` with a form body), then a check of every parameter, query
 * included (see unsafeText). Any failure, including a malformed or oversized body, goes to `bad`, so the
 * surface answers 4xx in its own format; nothing reaches SQL with a NUL. Mount it after authentication
 * where the surface can (an anonymous client should not get its upload read).
 */
export function readBodies(opts: BodyOptions, bad: BadInput): RequestHandler[] {
  const parsers: RequestHandler[] = [];
  if (opts.urlencoded)
    parsers.push(
      express.urlencoded({
        extended: false,
        limit: opts.urlencoded.limit,
        parameterLimit: opts.urlencoded.parameterLimit,
      }),
    );
  if (opts.multipart) {
    const m = multer({ storage: multer.memoryStorage(), limits: opts.multipart.limits });
    parsers.push(opts.multipart.limits.files > 0 ? m.any() : m.none());
  }
  if (opts.json)
    parsers.push(
      express.json({ limit: opts.json.limit, ...(opts.json.anyType ? { type: () => true } : {}) }),
    );
  const guarded = parsers.map(
    (p): RequestHandler =>
      (req, res, next) =>
        p(req, res, (err?: unknown) => {
          if (err === undefined || err === null) return next();
          const f = bodyFailure(err);
          bad(req, res, f.status, f.message);
        }),
  );
  const sizeCap: RequestHandler = (req, res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > opts.maxBytes) return bad(req, res, 413, 'the request body is too large');
    next();
  };
  const check: RequestHandler = (req, res, next) => {
    const problem = unsafeText(req.query) ?? unsafeText(req.body);
    if (problem) return bad(req, res, 400, problem);
    next();
  };
  return opts.rejectUnsafeText === false ? [sizeCap, ...guarded] : [sizeCap, ...guarded, check];
}

/** The form-style APIs' bodies (account API): urlencoded, multipart fields (no files), JSON; 32 KiB. */
export function formBodies(bad: BadInput): RequestHandler[] {
  return readBodies(
    {
      maxBytes: 64 * 1024,
      urlencoded: { limit: 32 * 1024, parameterLimit: 50 },
      multipart: { limits: { fields: 50, fieldSize: 16 * 1024, files: 0, parts: 50 } },
      json: { limit: 32 * 1024 },
    },
    bad,
  );
}
