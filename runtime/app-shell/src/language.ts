import type { Language } from '@shuiyun/web-kit';

/** The UI language as one of the two the API's bilingual texts carry. */
export const localizedLanguage = (language: string): Language => (language === 'en' ? 'en' : 'zh-CN');
