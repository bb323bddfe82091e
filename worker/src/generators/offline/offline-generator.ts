import { LANGUAGES, levelRank, type Level } from '@opad/core/domain';
import type { Gloss } from '@opad/core/http-contract';
import { GenerationError } from '@opad/core/errors';
import type { GenerationContext, GenerationRequest, GenerationResult, Generator, SourceDocument } from '../generator.ts';
import { COMFORTABLE_SENTENCE_WORDS, KNOWN_WORDS, frequencyRank } from './word-frequency.ts';
import { splitSentences, type Sentence } from './sentences.ts';
import { Wordnet, type Pos } from './wordnet.ts';

const NOUN_BEFORE = new Set(['the', 'a', 'an', 'of', 'his', 'her', 'their', 'its', 'our', 'my', 'your', 'this', 'these', 'those', 'some', 'many', 'few', 'several', 'dozen', 'two', 'three', 'four', 'five', 'more', 'most', 'no', 'every', 'each', 'any', 'such', 'and', 'with', 'by', 'for', 'in', 'on', 'at', 'from']);
const VERB_BEFORE = new Set(['will', 'would', 'can', 'could', 'should', 'may', 'might', 'must', 'did', 'does', 'do', "don't", "didn't", "won't", 'to']);

/** A part-of-speech guess from the word before: enough to pick the noun sense of "the rafts". */
function posHint(previous: string | undefined): Pos | undefined {
  const p = previous?.toLowerCase();
  if (!p) return undefined;
  if (NOUN_BEFORE.has(p)) return 'noun';
  if (VERB_BEFORE.has(p)) return 'verb';
  return undefined;
}

export const OFFLINE_MODEL = 'offline-extractive-v1';
const MAX_GLOSSES = 12;
/** The selection aims inside ±8% of the target so the result lands well within ±15%. */
const AIM = 0.08;

let sharedWordnet: Wordnet | undefined;

/**
 * The embedded generator: no network, no model, deterministic. It selects and orders whole
 * sentences of the source up to the target length, preferring sentences that carry the
 * article's key words and that a reader at the level can manage (short, common words), and
 * glosses the English words above the level from WordNet. It never rewrites or translates,
 * and says so in the result's notes.
 */
export class OfflineGenerator implements Generator {
  readonly name = 'offline' as const;
  readonly model = OFFLINE_MODEL;
  private readonly wordnet: Wordnet;

  constructor(wordnet?: Wordnet) {
    this.wordnet = wordnet ?? (sharedWordnet ??= new Wordnet());
  }

  async generate(request: GenerationRequest, context: GenerationContext): Promise<GenerationResult> {
    const english = request.language === 'en';
    await context.stage('select');
    const source = pickCandidate(request.candidates, request.targetWords);

    await context.stage('adapt');
    const sentences = splitSentences(source.text);
    if (sentences.length === 0) throw new GenerationError('source_too_short', 'The source has no sentences to select from.');
    const chosen = selectSentences(sentences, request.targetWords, request.level, english);

    await context.stage('review');
    const total = chosen.reduce((n, s) => n + s.words.length, 0);
    const notes: string[] = [
      english
        ? `Made offline (no language model): ${chosen.length} sentences were selected from the source and kept as written, chosen for level ${request.level} by word frequency; the text is not rewritten.`
        : `Made offline (no language model): ${chosen.length} sentences were selected from the source and kept as written; the text is not rewritten or translated into ${LANGUAGES[request.language]}, and words are not glossed (the offline dictionary is English only).`,
    ];
    if (total < request.targetWords * 0.85) {
      notes.push(`The source is shorter than the ${request.targetWords}-word target, so the whole usable text (${total} words) is shown.`);
    }
    context.signal.throwIfAborted();

    await context.stage('gloss');
    const vocabulary = english ? this.gloss(chosen, request.level) : [];

    const paragraphs: string[] = [];
    let last = -1;
    for (const s of chosen) {
      if (s.paragraph === last) paragraphs[paragraphs.length - 1] += ` ${s.text}`;
      else paragraphs.push(s.text);
      last = s.paragraph;
    }
    const title = source.title ?? truncate(sentences[0]?.text ?? 'Reading', 80);
    return { title, body: paragraphs.join('\n\n'), source, vocabulary, usage: { inputTokens: 0, outputTokens: 0 }, notes };
  }

  /** Words above the level, the rarest first (at most MAX_GLOSSES), listed in reading order. */
  private gloss(sentences: Sentence[], level: Level): Gloss[] {
    const known = KNOWN_WORDS[level];
    const seen = new Map<string, { word: string; rank: number; order: number; hint: Pos | undefined }>();
    let order = 0;
    for (const s of sentences) {
      s.words.forEach((word, i) => {
        order++;
        if (!/^\p{Ll}[\p{Ll}'-]{3,}$/u.test(word)) return; // proper nouns, numbers, short words
        if (i === 0 && word[0] !== word[0]?.toLowerCase()) return;
        const key = word.toLowerCase();
        if (seen.has(key)) return;
        const rank = frequencyRank(key) ?? 100_000;
        if (rank > known) seen.set(key, { word: key, rank, order, hint: posHint(s.words[i - 1]) });
      });
    }
    const picked: Array<Gloss & { order: number }> = [];
    for (const candidate of [...seen.values()].sort((a, b) => b.rank - a.rank || a.order - b.order)) {
      if (picked.length >= MAX_GLOSSES) break;
      const entry = this.wordnet.define(candidate.word, candidate.hint);
      if (!entry) continue;
      picked.push({
        word: candidate.word,
        definition: entry.definition,
        example: entry.example,
        partOfSpeech: entry.partOfSpeech === 'adj' ? 'adjective' : entry.partOfSpeech === 'adv' ? 'adverb' : entry.partOfSpeech,
        order: candidate.order,
      });
    }
    return picked.sort((a, b) => a.order - b.order).map(({ order: _order, ...g }) => g);
  }
}

/** The candidate closest to the target length from above (enough text to select from). */
function pickCandidate(candidates: SourceDocument[], targetWords: number): SourceDocument {
  const sized = candidates.map((c) => ({ c, words: c.text.split(/\s+/).length }));
  sized.sort((a, b) => {
    const aOk = a.words >= targetWords ? 0 : 1;
    const bOk = b.words >= targetWords ? 0 : 1;
    return aOk - bOk || (aOk === 0 ? a.words - b.words : b.words - a.words);
  });
  const first = sized[0];
  if (!first) throw new GenerationError('source_unreadable', 'There is no source text to adapt.');
  return first.c;
}

const truncate = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`);

/**
 * Scores each sentence (importance × readability for the level) and takes the best ones, in
 * source order, until the total is within the aim of the target length.
 */
export function selectSentences(sentences: Sentence[], targetWords: number, level: Level, english: boolean): Sentence[] {
  const usable = sentences.filter((s) => s.words.length >= 4);
  const pool = usable.length > 0 ? usable : sentences;
  const total = pool.reduce((n, s) => n + s.words.length, 0);
  if (total <= targetWords * (1 + AIM)) return pool;

  // Key words: content words (not among the most common) that recur across the article.
  const counts = new Map<string, number>();
  for (const s of pool) {
    for (const w of s.words) {
      const k = w.toLowerCase();
      if (k.length < 4 || (english && (frequencyRank(k) ?? Infinity) < 300)) continue;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  const comfortable = COMFORTABLE_SENTENCE_WORDS[level];
  const known = KNOWN_WORDS[level];
  const paragraphs = Math.max(1, (pool.at(-1)?.paragraph ?? 0) + 1);
  const scored = pool.map((s) => {
    const keys = s.words.reduce((n, w) => n + Math.min(3, (counts.get(w.toLowerCase()) ?? 1) - 1), 0);
    const importance = 1 + keys / Math.sqrt(s.words.length);
    const position = 1 + 0.6 * (1 - s.paragraph / paragraphs) + (s.index === 0 ? 0.5 : 0);
    const lengthFit = 1 / (1 + (0.6 * Math.max(0, s.words.length - comfortable)) / comfortable);
    let ease = 1;
    if (english) {
      const hard = s.words.filter((w) => /^\p{Ll}/u.test(w) && (frequencyRank(w) ?? 100_000) > known).length;
      ease = 1 - Math.min(0.8, (hard / s.words.length) * (3 - levelRank(level) * 0.4));
    }
    return { s, score: importance * position * lengthFit * ease };
  });
  scored.sort((a, b) => b.score - a.score || a.s.index - b.s.index);

  const low = targetWords * (1 - AIM);
  const high = targetWords * (1 + AIM);
  const picked = new Set<Sentence>();
  let words = 0;
  for (const { s } of scored) {
    if (words >= low) break;
    if (words + s.words.length <= high) {
      picked.add(s);
      words += s.words.length;
    }
  }
  // Still short (long sentences did not fit): the shortest remaining sentences that fit within ±15%.
  if (words < low) {
    const rest = pool.filter((s) => !picked.has(s)).sort((a, b) => a.words.length - b.words.length || a.index - b.index);
    for (const s of rest) {
      if (words >= low) break;
      if (words + s.words.length <= targetWords * 1.15) {
        picked.add(s);
        words += s.words.length;
      }
    }
  }
  return [...picked].sort((a, b) => a.index - b.index);
}
