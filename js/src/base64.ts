/** Base64 (standard alphabet, padding optional, whitespace ignored) to a DataView over fresh bytes. */
export function decodeBase64(text: string): DataView {
  const clean = /\s/.test(text) ? text.replace(/\s/g, "") : text;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error("attnlens: a buffer is not valid base64");
  const binary = atob(clean);
  const n = binary.length;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}
