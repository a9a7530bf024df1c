import type { Language } from '@shuiyun/web-kit';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

/** The designer's namespace `app`, zh-CN first. */
export const resources: Record<Language, Record<string, unknown>> = { 'zh-CN': zhCN, en };
