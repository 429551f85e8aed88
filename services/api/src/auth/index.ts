export * from './credentials';
export * from './accounts';
