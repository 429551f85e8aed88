export * from './credentials';
export * from './accounts';
export * from './api-key';
