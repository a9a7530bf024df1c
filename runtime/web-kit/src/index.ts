export { api, request, ApiError, tokenStore, signIn, signOut, setApiLanguage } from './api.js';
export type { ErrorDetail, SignedInUser, Tokens, RequestOptions } from './api.js';
export { initI18n, changeLanguage, storedLanguage, LANGUAGES, useTranslation, Trans } from './i18n.js';
export type { Language } from './i18n.js';
export { SessionProvider, useSession } from './session.js';
export type { Me } from './session.js';
export { SignIn, LanguageSwitch } from './SignIn.js';
export * from './artifacts.js';
