export * from './errors';
export * from './name-servers';
export * from './accounts';
export * from './zones';
export * from './domains';
