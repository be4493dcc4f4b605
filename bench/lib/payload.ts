/** A ~200-byte JSON job input, different per job (as real inputs are). */
export function payload(i: number): { i: number; t: number; user: string; prompt: string; tags: string[] } {
  return {
    i,
    t: 0,
    user: `user-${i % 997}`,
    prompt: `Summarise document ${i} in three sentences, keeping the names and dates exactly as written.`,
    tags: ['bench', 'sluice', `shard-${i % 16}`],
  };
}

export const PAYLOAD_BYTES = JSON.stringify(payload(12345)).length;
