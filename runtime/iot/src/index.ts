export { ReadingBatcher, BatcherClosedError, type BatcherOptions } from './pipeline/reading-batcher.js';
