export * from './names';
export * from './content';
