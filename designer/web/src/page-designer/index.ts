export { PageDesigner, default } from './PageDesigner.js';
export type { PageDesignerProps } from './PageDesigner.js';
