/**
 * Solves the open sign-up's proof of work: the smallest decimal nonce such that
 * SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits. Web Crypto, in batches, so the page
 * stays responsive and reports progress.
 */
export function leadingZeroBits(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

export async function solvePow(
  challenge: string,
  difficulty: number,
  onProgress?: (tried: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const enc = new TextEncoder();
  const BATCH = 512;
  for (let start = 0; ; start += BATCH) {
    if (signal?.aborted) throw new Error('aborted');
    const digests = await Promise.all(
      Array.from({ length: BATCH }, (_, i) =>
        crypto.subtle.digest('SHA-256', enc.encode(`${challenge}:${start + i}`)),
      ),
    );
    for (let i = 0; i < BATCH; i++) {
      if (leadingZeroBits(new Uint8Array(digests[i]!)) >= difficulty) return String(start + i);
    }
    onProgress?.(start + BATCH);
  }
}
