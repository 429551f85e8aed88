export * from './name';
export * from './keys';
export * from './canonical';
export * from './rrsig';
export * from './nsec';
