export * from './redis-limits';
export * from './classes';
