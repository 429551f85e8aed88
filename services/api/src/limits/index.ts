export * from './redis-limits';
export * from './classes';
export * from './api-calls';
export * from './auth-throttle';
export * from './source-network';
