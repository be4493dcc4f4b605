/**
 * A rough token count: about four characters per token for English text. Used to estimate a job's
 * tokens before the call (budgets) and by the mock provider to report `usage`. The provider's own
 * `usage` replaces the estimate once the call returns.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** Tokens of a chat prompt: the contents plus a small overhead per message (role, separators). */
export function estimateChatTokens(messages: ReadonlyArray<{ content?: unknown }>): number {
  let total = 0;
  for (const message of messages) {
    total += 4 + estimateTokens(typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? ''));
  }
  return total;
}
