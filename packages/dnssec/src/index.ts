export * from './name';
export * from './keys';
