/** Plain text (pasted, or served as text/plain) normalised to paragraphs separated by a blank line. */
export function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n\n');
}
