import { Form, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { LANGUAGES, LEVELS, LEVEL_DESCRIPTIONS, TARGET_WORDS } from '@opad/core/domain';
import { DEFAULT_VALUES, type CreateFormErrors, type CreateFormValues } from '../utils/article-form.ts';
import { FieldError, describedBy } from './field-error.tsx';

/**
 * Source (pasted text, URL or topic), language, level, length → Generate. A plain POST form:
 * it works without JavaScript; with it the button shows a pending state and can't be
 * pressed twice. Only the chosen source's field shows (CSS :has), all three without CSS.
 */
export function CreateArticleForm({ values = DEFAULT_VALUES, errors = {} }: { values?: CreateFormValues; errors?: CreateFormErrors }) {
  const navigation = useNavigation();
  const submitting = navigation.state !== 'idle' && navigation.formData?.get('intent') === 'create';
  const formRef = useRef<HTMLFormElement>(null);

  // After a failed submit, move focus to the first field that needs attention.
  useEffect(() => {
    const first = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    first?.focus();
  }, [errors]);

  return (
    <Form method="post" className="card create-form" ref={formRef} aria-labelledby="create-title" noValidate>
      <h2 id="create-title">New reading</h2>
      <input type="hidden" name="intent" value="create" />
      <FieldError id="form-error" errors={errors.form} />

      <fieldset className="source-kinds">
        <legend>Where should the article come from?</legend>
        {(
          [
            ['text', 'Paste text'],
            ['url', 'A web address'],
            ['topic', 'A topic'],
          ] as const
        ).map(([kind, label]) => (
          <label key={kind} className="pill">
            <input type="radio" name="sourceKind" value={kind} id={`kind-${kind}`} defaultChecked={values.sourceKind === kind} />
            {label}
          </label>
        ))}
      </fieldset>

      <div className="field field-text">
        <label htmlFor="sourceText">Article text</label>
        <textarea
          id="sourceText"
          name="sourceText"
          rows={8}
          defaultValue={values.sourceText}
          aria-invalid={errors.sourceText ? true : undefined}
          aria-describedby={describedBy('sourceText', errors.sourceText, 'sourceText-hint')}
        />
        <p className="hint" id="sourceText-hint">
          Paste a news article (any language). It is rewritten in the language and level you choose below.
        </p>
        <FieldError id="sourceText-error" errors={errors.sourceText} />
        <label htmlFor="sourceTitle">
          Title <span className="muted">(optional)</span>
        </label>
        <input id="sourceTitle" name="sourceTitle" type="text" maxLength={300} defaultValue={values.sourceTitle} />
      </div>

      <div className="field field-url">
        <label htmlFor="sourceUrl">Article address</label>
        <input
          id="sourceUrl"
          name="sourceUrl"
          type="url"
          inputMode="url"
          placeholder="https://…"
          defaultValue={values.sourceUrl}
          aria-invalid={errors.sourceUrl ? true : undefined}
          aria-describedby={describedBy('sourceUrl', errors.sourceUrl)}
        />
        <FieldError id="sourceUrl-error" errors={errors.sourceUrl} />
      </div>

      <div className="field field-topic">
        <label htmlFor="topic">Topic</label>
        <input
          id="topic"
          name="topic"
          type="text"
          placeholder="e.g. renewable energy"
          defaultValue={values.topic}
          aria-invalid={errors.topic ? true : undefined}
          aria-describedby={describedBy('topic', errors.topic)}
        />
        <FieldError id="topic-error" errors={errors.topic} />
      </div>

      <div className="row">
        <div className="field">
          <label htmlFor="language">Language to read in</label>
          <select
            id="language"
            name="language"
            defaultValue={values.language}
            aria-invalid={errors.language ? true : undefined}
            aria-describedby={describedBy('language', errors.language)}
          >
            {Object.entries(LANGUAGES).map(([code, name]) => (
              <option key={code} value={code}>
                {name}
              </option>
            ))}
          </select>
          <FieldError id="language-error" errors={errors.language} />
        </div>
        <div className="field">
          <label htmlFor="targetWords">Length in words</label>
          <input
            id="targetWords"
            name="targetWords"
            type="number"
            inputMode="numeric"
            min={TARGET_WORDS.min}
            max={TARGET_WORDS.max}
            step={10}
            defaultValue={values.targetWords}
            aria-invalid={errors.targetWords ? true : undefined}
            aria-describedby={describedBy('targetWords', errors.targetWords, 'targetWords-hint')}
          />
          <p className="hint" id="targetWords-hint">
            {TARGET_WORDS.min}–{TARGET_WORDS.max}
          </p>
          <FieldError id="targetWords-error" errors={errors.targetWords} />
        </div>
      </div>

      <fieldset className="levels" aria-describedby={describedBy('level', errors.level)}>
        <legend>Your level (CEFR)</legend>
        <FieldError id="level-error" errors={errors.level} />
        <div className="level-grid">
          {LEVELS.map((level) => (
            <label key={level} className="level-option">
              <input type="radio" name="level" value={level} defaultChecked={values.level === level} aria-invalid={errors.level ? true : undefined} />
              <span className="level-name">{level}</span>
              <span className="level-desc">{LEVEL_DESCRIPTIONS[level]}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <button type="submit" className="button primary" disabled={submitting} aria-disabled={submitting || undefined}>
        {submitting ? 'Starting…' : 'Generate'}
      </button>
    </Form>
  );
}
