// The NIP-11 relay information document, from the config alone.
import { kindRanges } from '../src/protocol/kinds.ts'
import type { RelayConfig } from './config.ts'

export function relayInfo(config: RelayConfig): Record<string, unknown> {
  return {
    name: config.name,
    description: config.description,
    ...(config.contact ? { contact: config.contact } : {}),
    software: 'https://github.com/infernet/infernet (relay/)',
    version: '0.1.0',
    supported_nips: [1, 9, 11, 13, 40, 42, 45, 70],
    limitation: {
      max_message_length: config.maxMessageBytes,
      max_subscriptions: config.maxSubscriptions,
      max_filters: config.maxFilters,
      max_limit: config.maxLimit,
      default_limit: config.defaultLimit,
      max_subid_length: config.maxSubIdLength,
      max_event_tags: config.maxEventTags,
      max_content_length: config.maxContentLength,
      min_pow_difficulty: config.minPowDifficulty,
      auth_required: config.authRequiredToWrite,
      payment_required: false,
      restricted_writes: config.authRequiredToWrite || config.minPowDifficulty > 0,
      created_at_lower_limit: config.createdAtPastSeconds,
      created_at_upper_limit: config.createdAtFutureSeconds,
    },
    // Ephemeral events are kept for no time at all.
    retention: [{ kinds: [[...kindRanges.ephemeral]], time: 0 }],
    infernet: {
      events_per_second_per_connection: config.eventsPerSecondPerConnection,
      events_per_second_per_ip: config.eventsPerSecondPerIp,
      reqs_per_second_per_connection: config.reqsPerSecondPerConnection,
      max_buffered_bytes: config.maxBufferedBytes,
      max_connections_per_ip: config.maxConnectionsPerIp,
      auth_required_kinds: config.authRequiredKinds,
    },
  }
}
