const encoder = new TextEncoder()

/** Lowercase hex of raw bytes (MACs, digests), on any runtime. */
export function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('')
}

/** SHA-256 of UTF-8 text as hex, on WebCrypto (workerd and Node alike). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
}
