// BIP-340 signing and verification for Node through libsecp256k1, compiled from the copy that the npm package
// secp256k1-wasm ships (depend/secp256k1, with the extrakeys and schnorrsig modules) into this one N-API addon.
// Plain C against node_api.h: N-API is ABI-stable, so one build serves every Node version on the machine.
// Event fields are hex strings, so the functions take and return hex: no Buffer per call on the JS side.
//   keypair(secret: Uint8Array(32)) -> Uint8Array(96)   libsecp256k1's keypair (secret + public point), made once per key
//   xonly(keypair) -> string                            the x-only public key, 64 hex chars
//   sign(keypair, idHex, aux: Uint8Array(32)) -> string the 128-hex-char signature over the 32-byte id
//   verify(sigHex, idHex, pubkeyHex) -> boolean         false for any malformed input, never throws on it
//   randomize(seed: Uint8Array(32))                     blinds this thread's signing context (side-channel hardening)
// Instance data (one libsecp256k1 context per Node environment, so worker threads never share one) needs N-API 6.
#define NAPI_VERSION 6
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#include "secp256k1.c"

static secp256k1_context *context_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

static void destroy_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  secp256k1_context_destroy(data);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads exactly `len` bytes written as 2*len hex chars; 0 when the value is not such a string.
static int read_hex(napi_env env, napi_value value, unsigned char *out, size_t len) {
  char text[130];
  size_t got = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) return 0;
  if (napi_get_value_string_latin1(env, value, text, sizeof text, &got) != napi_ok || got != 2 * len) return 0;
  for (size_t i = 0; i < len; i++) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return 1;
}

static napi_value hex_string(napi_env env, const unsigned char *bytes, size_t len) {
  static const char digits[] = "0123456789abcdef";
  char text[128];
  napi_value result;
  for (size_t i = 0; i < len; i++) {
    text[2 * i] = digits[bytes[i] >> 4];
    text[2 * i + 1] = digits[bytes[i] & 15];
  }
  napi_create_string_latin1(env, text, 2 * len, &result);
  return result;
}

// The bytes of a Uint8Array argument of exactly `len` bytes, or NULL after throwing a TypeError naming it.
static unsigned char *bytes_arg(napi_env env, napi_value value, size_t len, const char *what) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  napi_is_typedarray(env, value, &is_typed);
  if (is_typed) napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL);
  if (!is_typed || type != napi_uint8_array || length != len) {
    char message[96];
    snprintf(message, sizeof message, "%s must be a Uint8Array of %u bytes", what, (unsigned)len);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  return data;
}

static napi_value js_keypair(napi_env env, napi_callback_info info) {
  secp256k1_context *ctx = context_of(env);
  size_t argc = 1;
  napi_value argv[1], result;
  void *out;
  unsigned char *secret;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!(secret = bytes_arg(env, argv[0], 32, "the secret key"))) return NULL;
  napi_create_buffer(env, sizeof(secp256k1_keypair), &out, &result);
  if (!secp256k1_keypair_create(ctx, out, secret)) {
    napi_throw_range_error(env, NULL, "the secret key is not a valid secp256k1 scalar (zero or not below the group order)");
    return NULL;
  }
  return result;
}

static napi_value js_xonly(napi_env env, napi_callback_info info) {
  secp256k1_context *ctx = context_of(env);
  size_t argc = 1;
  napi_value argv[1];
  unsigned char *keypair, serialized[32];
  secp256k1_xonly_pubkey pubkey;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!(keypair = bytes_arg(env, argv[0], sizeof(secp256k1_keypair), "the keypair"))) return NULL;
  if (!secp256k1_keypair_xonly_pub(ctx, &pubkey, NULL, (secp256k1_keypair *)keypair)) {
    napi_throw_error(env, NULL, "the keypair holds no valid public key");
    return NULL;
  }
  secp256k1_xonly_pubkey_serialize(ctx, serialized, &pubkey);
  return hex_string(env, serialized, 32);
}

static napi_value js_sign(napi_env env, napi_callback_info info) {
  secp256k1_context *ctx = context_of(env);
  size_t argc = 3;
  napi_value argv[3];
  unsigned char *keypair, *aux, msg[32], sig[64];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!(keypair = bytes_arg(env, argv[0], sizeof(secp256k1_keypair), "the keypair"))) return NULL;
  if (!(aux = bytes_arg(env, argv[2], 32, "the auxiliary randomness"))) return NULL;
  if (!read_hex(env, argv[1], msg, 32)) {
    napi_throw_type_error(env, NULL, "the event id must be 64 hex characters");
    return NULL;
  }
  if (!secp256k1_schnorrsig_sign(ctx, sig, msg, (secp256k1_keypair *)keypair, NULL, aux)) {
    napi_throw_error(env, NULL, "libsecp256k1 could not sign (invalid keypair)");
    return NULL;
  }
  return hex_string(env, sig, 64);
}

static napi_value js_verify(napi_env env, napi_callback_info info) {
  secp256k1_context *ctx = context_of(env);
  size_t argc = 3;
  napi_value argv[3], result;
  unsigned char sig[64], msg[32], serialized[32];
  secp256k1_xonly_pubkey pubkey;
  int ok;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  ok = argc == 3 && read_hex(env, argv[0], sig, 64) && read_hex(env, argv[1], msg, 32) && read_hex(env, argv[2], serialized, 32) &&
       secp256k1_xonly_pubkey_parse(ctx, &pubkey, serialized) && secp256k1_schnorrsig_verify(ctx, sig, msg, &pubkey);
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value js_randomize(napi_env env, napi_callback_info info) {
  secp256k1_context *ctx = context_of(env);
  size_t argc = 1;
  napi_value argv[1];
  unsigned char *seed;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!(seed = bytes_arg(env, argv[0], 32, "the seed"))) return NULL;
  if (!secp256k1_context_randomize(ctx, seed)) napi_throw_error(env, NULL, "libsecp256k1 could not randomize its context");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    {"keypair", NULL, js_keypair, NULL, NULL, NULL, napi_enumerable, NULL},
    {"xonly", NULL, js_xonly, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sign", NULL, js_sign, NULL, NULL, NULL, napi_enumerable, NULL},
    {"verify", NULL, js_verify, NULL, NULL, NULL, napi_enumerable, NULL},
    {"randomize", NULL, js_randomize, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  // One context per environment (the main thread, each worker), made on load: its tables take milliseconds to build,
  // and randomize() rewrites them, which must never race a signature made on another thread.
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  if (!ctx || napi_set_instance_data(env, ctx, destroy_context, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "libsecp256k1 could not create its context");
    return NULL;
  }
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
