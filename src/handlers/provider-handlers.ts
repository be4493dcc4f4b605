import type { ProviderPool } from '../providers/provider-pool.js';
import type { HandlerMap } from '../worker/handler.js';
import { chatHandler } from './chat.js';
import { embedHandler } from './embed.js';

/** Job types served by OpenAI-compatible providers. */
export const PROVIDER_HANDLER_TYPES = ['chat', 'embed'] as const;
export type ProviderHandlerType = (typeof PROVIDER_HANDLER_TYPES)[number];

/** `chat` and `embed` bound to `pool` (see docs/providers.md). A fresh map each call. */
export function providerHandlers(pool: ProviderPool): HandlerMap {
  const handlers: Record<ProviderHandlerType, HandlerMap[string]> = {
    chat: chatHandler(pool),
    embed: embedHandler(pool),
  };
  return handlers;
}
