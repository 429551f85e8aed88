export * from './queues';
export * from './outbox';
export * from './redis';
export * from './healthchecks';
export * from './recipient-budget';
