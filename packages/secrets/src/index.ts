export * from './tokens';
export * from './passwords';
export * from './encryption';
