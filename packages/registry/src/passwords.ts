import { OpError } from './errors';

export const MIN_PASSWORD_LENGTH = 8;

/** Refuses a password too short to be one. */
export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new OpError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
}
