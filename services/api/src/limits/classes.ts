/** Daily quotas by account class (DESIGN.md: 48 updates, 64 API calls by default). */
export interface ClassQuota {
  updatesPerDay: number;
  apiCallsPerDay: number;
}

export const ACCOUNT_CLASSES: Record<string, ClassQuota> = {
  default: { updatesPerDay: 48, apiCallsPerDay: 64 },
  plus: { updatesPerDay: 480, apiCallsPerDay: 640 },
  unlimited: { updatesPerDay: Number.MAX_SAFE_INTEGER, apiCallsPerDay: Number.MAX_SAFE_INTEGER },
};

export function quotaFor(accountClass: string): ClassQuota {
  return ACCOUNT_CLASSES[accountClass] ?? ACCOUNT_CLASSES.default!;
}

/** Per-key call limits (DESIGN.md): 3 updater requests / 10 s, 5 API requests / 10 s. */
export const CALL_LIMITS = {
  updater: { limit: 3, windowSeconds: 10 },
  api: { limit: 5, windowSeconds: 10 },
} as const;
