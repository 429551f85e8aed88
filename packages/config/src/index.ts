export * from './env';
export * from './fields';
