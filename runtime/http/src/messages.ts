/** Every error code the API can answer with, and its text in each supported locale. */
export const errorMessages = {
  validation_failed: { 'zh-CN': '请求参数不合法', en: 'The request is not valid' },
  unknown_field: { 'zh-CN': '请求包含未知字段', en: 'The request contains unknown fields' },
  malformed_json: { 'zh-CN': '请求体不是合法的 JSON', en: 'The request body is not valid JSON' },
  unsupported_media_type: { 'zh-CN': '请求体必须是 application/json', en: 'The request body must be application/json' },
  payload_too_large: { 'zh-CN': '请求体过大', en: 'The request body is too large' },
  unauthenticated: { 'zh-CN': '请先登录', en: 'Sign in first' },
  token_expired: { 'zh-CN': '登录已过期，请重新登录', en: 'The session has expired; sign in again' },
  invalid_credentials: { 'zh-CN': '用户名或密码错误', en: 'Wrong username or password' },
  account_locked: { 'zh-CN': '登录失败次数过多，账户已锁定，请稍后再试', en: 'Too many failed sign-ins; the account is locked for a while' },
  account_disabled: { 'zh-CN': '账户已停用', en: 'The account is disabled' },
  invalid_refresh_token: { 'zh-CN': '刷新令牌无效或已失效', en: 'The refresh token is invalid or has been used' },
  weak_password: { 'zh-CN': '密码强度不足：至少 10 位，且包含字母和数字', en: 'The password is too weak: at least 10 characters with letters and digits' },
  wrong_password: { 'zh-CN': '当前密码错误', en: 'The current password is wrong' },
  sso_failed: { 'zh-CN': '单点登录失败', en: 'Single sign-on failed' },
  sso_not_linked: { 'zh-CN': '该单点登录账号未关联任何用户', en: 'This single-sign-on account is not linked to a user' },
  forbidden: { 'zh-CN': '没有执行此操作的权限', en: 'You do not have permission for this action' },
  forbidden_tenant: { 'zh-CN': '不能操作其他租户的数据', en: 'Records of another tenant cannot be touched' },
  not_found: { 'zh-CN': '记录不存在', en: 'The record does not exist' },
  route_not_found: { 'zh-CN': '接口不存在', en: 'No such endpoint' },
  duplicate: { 'zh-CN': '记录已存在', en: 'A record with the same key already exists' },
  conflict: { 'zh-CN': '操作与当前数据冲突', en: 'The change conflicts with the current data' },
  still_referenced: { 'zh-CN': '记录仍被其他数据引用，不能删除', en: 'The record is still referenced by other records' },
  invalid_reference: { 'zh-CN': '引用的记录不存在', en: 'A referenced record does not exist' },
  invalid_transition: { 'zh-CN': '设备当前状态不允许这一步', en: 'The device cannot take this step from its current state' },
  import_rejected: { 'zh-CN': '导入文件有错误，未写入任何数据', en: 'The import file has errors; nothing was written' },
  rate_limited: { 'zh-CN': '请求过于频繁，请稍后再试', en: 'Too many requests; try again later' },
  not_ready: { 'zh-CN': '服务尚未就绪', en: 'The service is not ready' },
  internal: { 'zh-CN': '服务器内部错误', en: 'Internal server error' },
} as const satisfies Record<string, Record<Locale, string>>;

export type Locale = 'zh-CN' | 'en';
export type ErrorCode = keyof typeof errorMessages;

/** zh-CN first: a request without a usable Accept-Language gets Chinese. */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return 'zh-CN';
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((x) => x.tag && !Number.isNaN(x.q) && x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}
