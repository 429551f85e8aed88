export * from './env';
export * from './fields';
export { MIN_SECRET_LENGTH, secretProblem } from './secret';
