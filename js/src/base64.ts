/**
 * Base64 (standard alphabet, padding optional, whitespace ignored) to a DataView over fresh bytes.
 * Uses the native decoder (Uint8Array.fromBase64) where the browser has it, else atob; both reject
 * characters outside the alphabet, so no separate scan of the (megabytes of) text is needed.
 */
type FromBase64 = (text: string, options?: { lastChunkHandling?: "loose" }) => Uint8Array;

export function decodeBase64(text: string): DataView {
  const native = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
  let bytes: Uint8Array;
  try {
    if (typeof native === "function") bytes = native(text, { lastChunkHandling: "loose" });
    else {
      const binary = atob(text);
      bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    }
  } catch {
    throw new Error("attnlens: a buffer is not valid base64");
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
