/** UTF-8 byte length of a string without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff) {
      // A surrogate pair is 4 bytes for 2 UTF-16 units.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}
