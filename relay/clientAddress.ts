// The address the per-IP limits count for a connection. Behind a reverse proxy (the usual way to serve wss://)
// every socket comes from the proxy, so a per-IP cap would cap the whole relay; a proxy the operator trusts says
// who the client is in X-Forwarded-For. Each trusted hop appends the address it saw, so the client is the
// rightmost entry that is not itself a trusted proxy; entries further left are whatever the client claimed.

export type ClientAddressParameters = {
  /** The socket's peer address. */
  remoteAddress: string | undefined
  /** The X-Forwarded-For header(s) of the upgrade request. */
  forwardedFor: string | string[] | undefined
  trustedProxies: ReadonlySet<string>
}

export function clientAddress({ remoteAddress, forwardedFor, trustedProxies }: ClientAddressParameters): string {
  const peer = remoteAddress ?? 'unknown'
  if (!trustedProxies.has(peer) || forwardedFor === undefined) return peer
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.has(hops[i]!)) return hops[i]!
  return hops[0] ?? peer
}
