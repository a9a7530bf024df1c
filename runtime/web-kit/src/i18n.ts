import i18next, { type Resource } from 'i18next';
import { initReactI18next } from 'react-i18next';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { setApiLanguage } from './api.js';

/** The apps read their words through the kit's react-i18next, so that both share one i18next instance. */
export { useTranslation, Trans } from 'react-i18next';

export type Language = 'zh-CN' | 'en';
export const LANGUAGES: Language[] = ['zh-CN', 'en'];
const STORAGE_KEY = 'shuiyun.lang';

/** The kit's own words; each app adds its own namespace `app`. */
const kit: Resource = {
  'zh-CN': {
    kit: {
      signIn: '登录',
      signOut: '退出登录',
      username: '用户名',
      password: '密码',
      usernameRequired: '请输入用户名',
      passwordRequired: '请输入密码',
      signInTitle: '水云 · 登录',
      language: '语言',
      loading: '加载中…',
      empty: '暂无数据',
      retry: '重试',
      save: '保存',
      cancel: '取消',
      total: '共 {{count}} 条',
      unknownError: '出错了，请稍后再试',
      noPermission: '没有权限',
    },
  },
  en: {
    kit: {
      signIn: 'Sign in',
      signOut: 'Sign out',
      username: 'Username',
      password: 'Password',
      usernameRequired: 'Enter your username',
      passwordRequired: 'Enter your password',
      signInTitle: 'Shuiyun · Sign in',
      language: 'Language',
      loading: 'Loading…',
      empty: 'No data',
      retry: 'Retry',
      save: 'Save',
      cancel: 'Cancel',
      total: '{{count}} in all',
      unknownError: 'Something went wrong; try again later',
      noPermission: 'No permission',
    },
  },
};

export function storedLanguage(): Language {
  const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  return saved === 'en' ? 'en' : 'zh-CN';
}

/** Starts i18next with the kit's words and the app's (namespace `app`); zh-CN first. */
export async function initI18n(app: Record<Language, Record<string, unknown>>): Promise<typeof i18next> {
  const lng = storedLanguage();
  setApiLanguage(lng);
  await i18next.use(initReactI18next).init({
    lng,
    fallbackLng: 'zh-CN',
    defaultNS: 'app',
    ns: ['app', 'kit'],
    resources: {
      'zh-CN': { ...kit['zh-CN'], app: app['zh-CN'] },
      en: { ...kit.en, app: app.en },
    },
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = lng;
  // Ant Design's date pickers name months and weekdays through dayjs.
  dayjs.locale(lng === 'en' ? 'en' : 'zh-cn');
  return i18next;
}

export async function changeLanguage(lng: Language) {
  localStorage.setItem(STORAGE_KEY, lng);
  setApiLanguage(lng);
  document.documentElement.lang = lng;
  dayjs.locale(lng === 'en' ? 'en' : 'zh-cn');
  await i18next.changeLanguage(lng);
}
