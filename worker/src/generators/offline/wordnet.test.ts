import { describe, expect, it } from 'vitest';
import { Wordnet } from './wordnet.ts';

const wordnet = new Wordnet();

describe('Wordnet.define (the offline glosses)', () => {
  it('glosses an -ed form as the verb it inflects, never as a noun of the same spelling', () => {
    expect(wordnet.define('voted')).toMatchObject({ lemma: 'vote', partOfSpeech: 'verb' });
    expect(wordnet.define('discussed')).toMatchObject({ lemma: 'discuss', partOfSpeech: 'verb' });
  });

  it('keeps a word that is a lemma in its own right (the participle adjective, the -ing noun)', () => {
    expect(wordnet.define('tired')).toMatchObject({ lemma: 'tired', partOfSpeech: 'adj' });
    expect(wordnet.define('building', 'noun')).toMatchObject({ lemma: 'building', partOfSpeech: 'noun' });
  });

  it('prefers the common base to a rare lemma of the same spelling', () => {
    // "rooms" is a lemma of its own (an apartment), seldom used; "room" is the common word
    expect(wordnet.define('rooms', 'noun')).toMatchObject({ lemma: 'room', partOfSpeech: 'noun' });
    expect(wordnet.define('rooms', 'noun')?.definition).toMatch(/area within a building/);
  });

  it('lets the word before decide between noun and verb for an -s form', () => {
    expect(wordnet.define('votes', 'noun')).toMatchObject({ lemma: 'vote', partOfSpeech: 'noun' });
    expect(wordnet.define('votes', 'verb')).toMatchObject({ lemma: 'vote', partOfSpeech: 'verb' });
  });

  it('finds nothing for a word WordNet does not have', () => {
    expect(wordnet.define('zzyzxq')).toBeNull();
  });
});
