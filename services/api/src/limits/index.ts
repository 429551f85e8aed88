export * from './redis-limits';
export * from './classes';
export * from './api-calls';
