import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation, useRouteError } from '@remix-run/react';
import { LANGUAGES } from '@opad/core/domain';
import { uuidSchema } from '@opad/core/http-contract';
import { STATUS_LABELS, articleHeading, shortDate } from '../components/article-card.tsx';
import { ErrorView } from '../components/error-view.tsx';
import { GlossedMarkdown } from '../components/glossed-markdown.tsx';
import { api, throwRouteError } from '../utils/api.server.ts';
import { describeJobError } from '../utils/job-errors.ts';

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.meta?.title ?? articleHeading(data.article)} · OPAD` : 'Article · OPAD' },
];

function guardId(id: string | undefined): string {
  const parsed = uuidSchema.safeParse(id);
  if (!parsed.success) throw json({ kind: 'not_found', title: 'Not found', message: 'This article does not exist, or it was deleted.' }, { status: 404 });
  return parsed.data;
}

export async function loader({ params, request }: LoaderFunctionArgs) {
  const id = guardId(params.id);
  const client = api(request);
  try {
    const article = await client.getArticle(id);
    const [content, meta] = article.status === 'ready' ? await Promise.all([client.getContent(id), client.getMeta(id)]) : [null, null];
    const confirmDelete = new URL(request.url).searchParams.get('confirm') === 'delete';
    return json({ article, content, meta, confirmDelete });
  } catch (error) {
    throwRouteError(error, 'article');
  }
}

export async function action({ params, request }: ActionFunctionArgs) {
  const id = guardId(params.id);
  const form = await request.formData();
  const intent = form.get('intent');
  const client = api(request);
  try {
    if (intent === 'generate') {
      const { jobId } = await client.generate(id);
      return redirect(`/jobs/${jobId}`);
    }
    if (intent === 'delete') {
      await client.deleteArticle(id);
      return redirect('/articles?deleted=1');
    }
  } catch (error) {
    throwRouteError(error, 'article');
  }
  return json({ kind: 'api_error', title: 'Unknown action', message: 'That button does nothing here.' }, { status: 400 });
}

export default function ArticlePage() {
  const { article, content, meta, confirmDelete } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting' ? navigation.formData?.get('intent') : undefined;
  const job = article.latestJob;
  const active = job && (job.status === 'queued' || job.status === 'running');
  const title = meta?.title ?? articleHeading(article);
  const sourceUrl = meta?.source.url ?? article.source.url;
  const sourceTitle = meta?.source.title ?? article.source.title;
  const safeSourceUrl = sourceUrl && /^https?:\/\//i.test(sourceUrl) ? sourceUrl : null;

  return (
    <article className="article-page" aria-labelledby="article-title">
      <p className="breadcrumbs">
        <Link to="/articles">← Your articles</Link>
      </p>
      <h1 id="article-title">{title}</h1>
      <ul className="facts" aria-label="About this text">
        <li>
          <span className="badge level">{article.level}</span> level
        </li>
        <li>{LANGUAGES[article.language]}</li>
        {meta ? <li>{meta.wordCount} words</li> : <li>target {article.targetWords} words</li>}
        <li>
          <span className={`badge status status-${article.status}`}>{STATUS_LABELS[article.status]}</span>
        </li>
      </ul>

      {article.status === 'ready' && content !== null ? (
        <>
          {meta && meta.vocabulary.length > 0 ? (
            <p className="hint">Highlighted words have an explanation: hover, tap or tab to them.</p>
          ) : null}
          <GlossedMarkdown markdown={content} glosses={meta?.vocabulary ?? []} language={article.language} readingBody />
        </>
      ) : (
        <section className="card" aria-live="polite">
          {active ? (
            <p>
              This text is being written. <Link to={`/jobs/${job.id}`}>Follow its progress</Link>.
            </p>
          ) : article.status === 'failed' && job?.error ? (
            <p className="field-error">{describeJobError(job.error)}</p>
          ) : (
            <p>This article has no text yet. Press Generate to write it.</p>
          )}
        </section>
      )}

      <section className="card about" aria-labelledby="about-title">
        <h2 id="about-title">About this text</h2>
        <dl className="about-list">
          <dt>Source</dt>
          <dd>
            {safeSourceUrl ? (
              <a href={safeSourceUrl} rel="noopener noreferrer nofollow" target="_blank">
                {sourceTitle ?? safeSourceUrl}
              </a>
            ) : article.source.kind === 'topic' ? (
              <>Topic: {article.source.topic}</>
            ) : (
              <>{sourceTitle ?? 'Text you pasted'}</>
            )}
            {meta?.source.siteName ? <span className="muted"> · {meta.source.siteName}</span> : null}
            {meta?.source.byline ? <span className="muted"> · {meta.source.byline}</span> : null}
          </dd>
          {meta ? (
            <>
              <dt>Written by</dt>
              <dd>
                {meta.generator === 'offline' ? 'Offline generator (no AI model: extractive, simplified)' : 'OpenAI-compatible model'} ·{' '}
                <code>{meta.model}</code>
              </dd>
              <dt>Tokens</dt>
              <dd>
                {meta.usage.inputTokens} in · {meta.usage.outputTokens} out
              </dd>
              {meta.notes.length > 0 ? (
                <>
                  <dt>Notes</dt>
                  <dd>
                    <ul className="notes">
                      {meta.notes.map((n) => (
                        <li key={n}>{n}</li>
                      ))}
                    </ul>
                  </dd>
                </>
              ) : null}
            </>
          ) : null}
          <dt>Created</dt>
          <dd>
            <time dateTime={article.createdAt}>{shortDate(article.createdAt)}</time>
          </dd>
        </dl>
      </section>

      <div className="actions">
        {!active ? (
          <Form method="post">
            <input type="hidden" name="intent" value="generate" />
            <button type="submit" className="button primary" disabled={busy === 'generate'}>
              {busy === 'generate' ? 'Starting…' : article.status === 'draft' ? 'Generate' : 'Regenerate'}
            </button>
          </Form>
        ) : null}
        {confirmDelete ? (
          <Form method="post" className="confirm card" aria-labelledby="confirm-title">
            <p id="confirm-title">
              <strong>Delete this article?</strong> It disappears from your list.
            </p>
            <input type="hidden" name="intent" value="delete" />
            <button type="submit" className="button danger" disabled={busy === 'delete'} autoFocus>
              {busy === 'delete' ? 'Deleting…' : 'Yes, delete'}
            </button>{' '}
            <Link to="." className="button secondary" preventScrollReset>
              Cancel
            </Link>
          </Form>
        ) : (
          <Link to="?confirm=delete" className="button secondary" preventScrollReset>
            Delete…
          </Link>
        )}
      </div>
    </article>
  );
}

export function ErrorBoundary() {
  return <ErrorView error={useRouteError()} />;
}
