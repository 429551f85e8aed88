/**
 * Why a model operation refused: each surface maps the kind onto its own wire format
 * (IPv64 codes, DRF-style JSON, plain HTTP statuses).
 */
export type ModelErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict';

export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (msg: string) => new ModelError('invalid', msg);
export const forbidden = (msg: string) => new ModelError('forbidden', msg);
export const notFound = (msg: string) => new ModelError('not_found', msg);
export const conflict = (msg: string) => new ModelError('conflict', msg);
