export interface Sentence {
  text: string;
  paragraph: number;
  /** Position in the whole text, 0-based. */
  index: number;
  words: string[];
}

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'no', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp', 'gen', 'gov',
  'sen', 'rep', 'col', 'lt', 'sgt', 'capt', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov',
  'dec', 'e.g', 'i.e', 'u.s', 'u.k', 'u.n', 'a.m', 'p.m', 'approx', 'dept', 'fig', 'hr', 'sr', 'herr', 'frau', 'm', 'mme', 'sra', 'sr',
]);

export const wordsOf = (text: string): string[] => text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];

const quoteBalance = (text: string): number => (text.match(/["“”]/g) ?? []).length % 2;

/** Splits one paragraph into sentences: ends at . ! ? … followed by space and a capital, digit or quote. */
function splitParagraph(paragraph: string): string[] {
  const pieces: string[] = [];
  const re = /[.!?…]+["'”’)\]]*\s+(?=["“‘'(\[]?[\p{Lu}\p{N}¿¡])/gu;
  let start = 0;
  for (let m = re.exec(paragraph); m; m = re.exec(paragraph)) {
    const end = m.index + m[0].trimEnd().length;
    const candidate = paragraph.slice(start, end);
    const lastWord = /([\p{L}.]+)\.$/u.exec(candidate)?.[1]?.toLowerCase();
    // "Dr. Osei", "U.S. officials", "J. K. Rowling": not sentence ends.
    if (lastWord && (ABBREVIATIONS.has(lastWord) || /^\p{L}$/u.test(lastWord))) continue;
    pieces.push(candidate.trim());
    start = m.index + m[0].length;
  }
  const rest = paragraph.slice(start).trim();
  if (rest) pieces.push(rest);
  // A quotation that runs over several sentences stays in one piece, so no quote is left open.
  const merged: string[] = [];
  let open = '';
  for (const piece of pieces) {
    open = open ? `${open} ${piece}` : piece;
    if (quoteBalance(open) === 0) {
      merged.push(open);
      open = '';
    }
  }
  if (open) merged.push(open);
  return merged;
}

export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .forEach((paragraph, p) => {
      for (const s of splitParagraph(paragraph)) out.push({ text: s, paragraph: p, index: out.length, words: wordsOf(s) });
    });
  return out;
}
