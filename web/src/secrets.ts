/**
 * Tokens shown once, kept in this tab's memory only (never storage) so the router settings of a domain created
 * or rotated a moment ago come filled in. Gone on reload, as the server promised.
 */
const tokens = new Map<string, string>();

export const rememberToken = (domain: string, token: string) => tokens.set(domain, token);
export const recalledToken = (domain: string) => tokens.get(domain);
export const forgetToken = (domain: string) => tokens.delete(domain);
