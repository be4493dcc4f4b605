import type { ProviderPool } from '../providers/provider-pool.js';
import type { HandlerMap } from '../worker/handler.js';
import { chatHandler, type ProviderHandlerOptions } from './chat.js';
import { EMBED_BATCH, embedHandler } from './embed.js';

/** Job types served by OpenAI-compatible providers. */
export const PROVIDER_HANDLER_TYPES = ['chat', 'embed'] as const;
export type ProviderHandlerType = (typeof PROVIDER_HANDLER_TYPES)[number];

export type { ProviderHandlerOptions } from './chat.js';

/** `chat` and `embed` bound to `pool` (see docs/providers.md), reporting token usage to
 * `options.usage` when given. A fresh map each call. */
export function providerHandlers(pool: ProviderPool, options: ProviderHandlerOptions = {}): HandlerMap {
  const handlers: Record<ProviderHandlerType, HandlerMap[string]> = {
    chat: chatHandler(pool, options),
    embed: embedHandler(pool, EMBED_BATCH, options),
  };
  return handlers;
}
