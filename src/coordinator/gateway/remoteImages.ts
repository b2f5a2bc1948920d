// Remote images, fetched by the gateway and inlined as data: URLs before the request becomes a job: the job carries
// images inline only, and a node never fetches a URL for anyone (nips/job-request.md). The gateway's fetch is a
// request forgery risk of its own, so by default it reaches public addresses only: every address a host name
// resolves to is checked at connect time (no DNS rebinding between a check and the connection), literal and
// redirected addresses too; at most `maxImageBytes`, an image content type, a few seconds, three redirects.
import { lookup as dnsLookup } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'
import { maxImageBytes } from '../../protocol/limits.ts'
import { errors } from '../errors.ts'

export type RemoteImageOptions = {
  /** Fetch images from loopback and private networks too (tests, a gateway inside a trusted network). */
  allowPrivate?: boolean | undefined
  timeoutMs?: number | undefined
  maxBytes?: number | undefined
}

const imageTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

/** Loopback, private, link-local, carrier-grade NAT, unspecified, multicast and reserved ranges, v4 and v6. */
const privateRanges = (() => {
  const list = new BlockList()
  for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) list.addSubnet(net, prefix, 'ipv4')
  for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) list.addSubnet(net, prefix, 'ipv6')
  return list
})()

/** Whether the gateway may connect to `address` (an IPv4-mapped IPv6 address is judged as its IPv4 address). */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return !privateRanges.check(mapped[1]!, 'ipv4')
  const family = isIP(address)
  if (family === 0) return false
  return !privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0)
    const list = addresses as { address: string; family: number }[]
    const refused = list.find((a) => !isPublicAddress(a.address))
    if (refused) return callback(Object.assign(new Error(`${hostname} resolves to ${refused.address}, a private address`), { code: 'EPRIVATE' }), '', 0)
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list)
    callback(null, list[0]!.address, list[0]!.family)
  })
}

let publicAgent: Agent | undefined
let anyAgent: Agent | undefined
const agentFor = (allowPrivate: boolean) => (allowPrivate ? (anyAgent ??= new Agent()) : (publicAgent ??= new Agent({ connect: { lookup: publicOnlyLookup } })))

/** Fetches one image as a data: URL, or throws a 400 naming `param` and what went wrong. */
export async function fetchImageAsDataUrl(url: string, param: string, options: RemoteImageOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? maxImageBytes
  const fail = (why: string) => errors.invalidRequest(`${param}: the image at ${url.slice(0, 200)} could not be used: ${why}`, param)
  let target = url
  for (let hop = 0; ; hop++) {
    let parsed: URL
    try {
      parsed = new URL(target)
    } catch {
      throw fail('not a valid URL')
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw fail('only http and https URLs are fetched')
    const host = parsed.hostname.replace(/^\[|\]$/g, '')
    if (!options.allowPrivate && isIP(host) && !isPublicAddress(host)) throw fail(`${host} is a private address`)
    let res: Awaited<ReturnType<typeof undiciFetch>>
    try {
      res = await undiciFetch(parsed, { redirect: 'manual', dispatcher: agentFor(options.allowPrivate === true), signal: AbortSignal.timeout(options.timeoutMs ?? 5000), headers: { accept: [...imageTypes].join(', ') } })
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message
      throw fail((err as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs ?? 5000} ms` : cause)
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.body?.cancel()
      if (hop >= 3) throw fail('more than 3 redirects')
      target = new URL(res.headers.get('location')!, parsed).toString()
      continue
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw fail(`the server answered ${res.status}`)
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (!imageTypes.has(type)) {
      await res.body?.cancel()
      throw fail(`content type "${type || 'none'}" is not one of ${[...imageTypes].join(', ')}`)
    }
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (declared > maxBytes) {
      await res.body?.cancel()
      throw fail(`it is ${declared} bytes, over the limit of ${maxBytes}`)
    }
    const chunks: Uint8Array[] = []
    let size = 0
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).byteLength
      if (size > maxBytes) {
        await res.body?.cancel().catch(() => {})
        throw fail(`it is over the limit of ${maxBytes} bytes`)
      }
      chunks.push(chunk as Uint8Array)
    }
    return `data:${type};base64,${Buffer.concat(chunks).toString('base64')}`
  }
}

type ImageSlot = { url: string; param: string; set(dataUrl: string): void }

/** The http(s) image URLs of a Chat Completions (`messages`) or Responses (`input`) request body, where they sit. */
function remoteImageSlots(body: unknown): ImageSlot[] {
  const slots: ImageSlot[] = []
  if (typeof body !== 'object' || body === null) return slots
  const b = body as Record<string, unknown>
  for (const [field, list] of [['messages', b.messages], ['input', b.input]] as const) {
    if (!Array.isArray(list)) continue
    list.forEach((item: unknown, i) => {
      const content = (item as { content?: unknown } | null)?.content
      if (!Array.isArray(content)) return
      content.forEach((part: unknown, j) => {
        if (typeof part !== 'object' || part === null) return
        const p = part as Record<string, unknown>
        const where = `${field}[${i}].content[${j}]`
        if (p.type === 'image_url' && typeof p.image_url === 'object' && p.image_url !== null) {
          const holder = p.image_url as Record<string, unknown>
          if (typeof holder.url === 'string' && /^https?:/i.test(holder.url)) slots.push({ url: holder.url, param: `${where}.image_url.url`, set: (u) => (holder.url = u) })
        } else if ((p.type === 'image_url' || p.type === 'input_image') && typeof p.image_url === 'string' && /^https?:/i.test(p.image_url)) {
          slots.push({ url: p.image_url, param: `${where}.image_url`, set: (u) => (p.image_url = u) })
        }
      })
    })
  }
  return slots
}

/** Most remote images fetched for one request. */
export const maxRemoteImages = 8

/** Replaces every remote image URL of a request body with its data: URL, fetched in parallel; throws a 400 on the first failure. */
export async function inlineRemoteImages(body: unknown, options: RemoteImageOptions & { enabled: boolean }): Promise<void> {
  const slots = remoteImageSlots(body)
  if (slots.length === 0) return
  if (!options.enabled) throw errors.invalidRequest(`${slots[0]!.param}: this gateway does not fetch remote images; send the image inline as a data: URL`, slots[0]!.param)
  if (slots.length > maxRemoteImages) throw errors.invalidRequest(`at most ${maxRemoteImages} remote images per request (got ${slots.length}); send the others inline as data: URLs`, slots[maxRemoteImages]!.param)
  const urls = await Promise.all(slots.map((s) => fetchImageAsDataUrl(s.url, s.param, options)))
  slots.forEach((s, i) => s.set(urls[i]!))
}
