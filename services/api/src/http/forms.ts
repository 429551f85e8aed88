import express, { type RequestHandler } from 'express';
import multer from 'multer';

/**
 * Body parsers for form-style APIs: urlencoded, multipart (fields only) and JSON, read on every method
 * (DELETE included: acme.sh and lego send `DELETE /api` with a form body). A body that cannot be parsed is
 * handed to `onError` so the surface answers in its own format.
 */
export function formBodies(onError: (res: express.Response, message: string) => void): RequestHandler[] {
  const parsers: RequestHandler[] = [
    express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }),
    multer({ limits: { fields: 50, fieldSize: 16 * 1024, files: 0, parts: 50 } }).none(),
    express.json({ limit: '32kb' }),
  ];
  return parsers.map(
    (p): RequestHandler =>
      (req, res, next) =>
        p(req, res, (err?: unknown) => {
          if (err) onError(res, 'the request body could not be read');
          else next();
        }),
  );
}
