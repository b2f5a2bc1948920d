// The playground page at /playground: pick a model, chat with it, see which node answered, what it cost and how
// fast it was. The HTML is static but for the relay list it starts from (this coordinator's relays); everything
// else is done by its script (/playground/app.js) in the browser, which talks to relays and nodes, not to us.
import { html } from 'hono/html'
import { redactUrl } from '../../errors/base.ts'

export const playgroundScriptPath = '/playground/app.js'

/**
 * The page ships no inline script, so a Content-Security-Policy can forbid every script but our own file (the
 * page may hold a key in localStorage). Connections go to relays and nodes anywhere; WebAssembly is the SDK's
 * fast signature check (it falls back to JavaScript without it).
 */
export const playgroundCsp = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'unsafe-inline'",
  'connect-src ws: wss: http: https:',
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** The relays a stranger may see: one whose URL carries credentials or a token stays off a public page. */
export function publicRelays(relays: string[]): string[] {
  return relays.filter((url) => !redactUrl(url).includes('***'))
}

const style = `
body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:860px;padding:0 16px;color:#111;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}p.lede{margin:0 0 16px;color:#555}
fieldset{border:1px solid #ddd;border-radius:8px;background:#fff;margin:0 0 12px;padding:10px 14px}
label{display:block;font-size:13px;color:#555;margin:6px 0 2px}
input,select,textarea,button{font:inherit}input#relays{width:100%;box-sizing:border-box}
textarea{width:100%;box-sizing:border-box;min-height:64px}
#status{margin:8px 0;white-space:pre-wrap}#status[data-state=error],#status[data-state=no-models]{color:#a00}
#warning{color:#8a5a00;margin:4px 0}
.msg{border-radius:8px;padding:8px 12px;margin:8px 0;white-space:pre-wrap}.user{background:#e8f0fe}
.assistant{background:#fff;border:1px solid #ddd}.assistant.failed{border-color:#a00}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 14px}
dl:empty{display:none}dt{color:#555}dd{margin:0;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
small{color:#666}
`

export function renderPlaygroundPage({ relays }: { relays: string[] }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Infernet playground</title><link rel="icon" href="data:,">
<style>${style}</style></head><body>
<h1>Infernet playground</h1>
<p class="lede">Chat with a model on the network. This page runs the SDK in your browser: the prompt goes encrypted to the node, through relays or straight to it, and never to this coordinator.</p>
<fieldset><legend>Network</legend>
<label for="relays">Relays</label>
<input id="relays" value="${publicRelays(relays).join(' ')}" placeholder="wss://relay.example" autocomplete="off" spellcheck="false">
<button id="connect" type="button">Connect</button>
<label>Signing with</label><span id="signer">…</span>
<p id="status" data-state="connecting" role="status">Loading…</p>
<p id="warning"></p>
</fieldset>
<form id="chat">
<fieldset><legend>Chat</legend>
<label for="model">Model</label><select id="model"></select>
<div id="transcript" aria-live="polite"></div>
<label for="prompt">Message</label><textarea id="prompt" placeholder="Ask something (Enter sends, Shift+Enter for a new line)"></textarea>
<button id="send" type="submit" disabled>Send</button> <button id="reset" type="button">New chat</button>
</fieldset>
</form>
<dl id="summary"></dl>
<p><small>Price is what the node's signed result says the job costs; this page sends no payment receipt. Tokens/s counts from the first token to the end. <a href="/">Coordinator status</a></small></p>
<script type="module" src="${playgroundScriptPath}"></script>
</body></html>`.toString()
}
