import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useRouteError, useSearchParams } from '@remix-run/react';
import { ARTICLE_STATUSES, LANGUAGES, LEVELS, languageSchema, levelSchema } from '@opad/core/domain';
import type { ListArticlesQuery } from '@opad/core/http-contract';
import { z } from 'zod';
import { ArticleCard, STATUS_LABELS } from '../components/article-card.tsx';
import { CreateArticleForm } from '../components/create-article-form.tsx';
import { ErrorView } from '../components/error-view.tsx';
import { apiFieldErrors, parseCreateForm, type CreateFormErrors, type CreateFormValues } from '../utils/article-form.ts';
import { ApiError, api, throwRouteError } from '../utils/api.server.ts';

export const meta: MetaFunction = () => [{ title: 'Your articles · OPAD' }];

const filterSchemas = {
  status: z.enum(ARTICLE_STATUSES),
  language: languageSchema,
  level: levelSchema,
  limit: z.coerce.number().int().min(1).max(100),
  cursor: z.string().min(1).max(200),
};

/** Filters from the address bar; a value the api would refuse is ignored, not an error page. */
export function readListQuery(url: URL): Partial<ListArticlesQuery> {
  const query: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(filterSchemas)) {
    const raw = url.searchParams.get(key);
    if (raw === null || raw === '') continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) query[key] = parsed.data;
  }
  return query as Partial<ListArticlesQuery>;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const query = readListQuery(url);
  try {
    const list = await api(request).listArticles(query);
    return json({ list, query, deleted: url.searchParams.get('deleted') === '1' });
  } catch (error) {
    throwRouteError(error, 'list');
  }
}

type ActionData = { errors: CreateFormErrors; values: CreateFormValues };

export async function action({ request }: ActionFunctionArgs) {
  const form = await request.formData();
  const parsed = parseCreateForm(form);
  if (!parsed.ok) return json<ActionData>({ errors: parsed.errors, values: parsed.values }, { status: 400 });
  const client = api(request);
  let articleId: string;
  try {
    articleId = (await client.createArticle(parsed.input)).id;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 400 || error.status === 413)) {
      const fieldErrors = apiFieldErrors(error.fieldErrors);
      if (Object.keys(fieldErrors).length === 0) fieldErrors.form = [error.message];
      return json<ActionData>({ errors: fieldErrors, values: parsed.values }, { status: error.status });
    }
    throwRouteError(error);
  }
  try {
    const { jobId } = await client.generate(articleId);
    return redirect(`/jobs/${jobId}`);
  } catch (error) {
    throwRouteError(error);
  }
}

export default function ArticlesIndex() {
  const { list, query, deleted } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const filtered = Boolean(query.status || query.language || query.level);
  const firstVisit = list.items.length === 0 && !filtered && !query.cursor;

  const olderParams = new URLSearchParams(searchParams);
  olderParams.delete('deleted');
  if (list.nextCursor) olderParams.set('cursor', list.nextCursor);
  const newestParams = new URLSearchParams(searchParams);
  newestParams.delete('cursor');
  newestParams.delete('deleted');

  return (
    <div className="articles-page">
      <h1>Your articles</h1>
      {deleted ? (
        <p className="notice" role="status">
          The article was deleted.
        </p>
      ) : null}
      {firstVisit ? (
        <section className="empty-state card" aria-labelledby="welcome-title">
          <h2 id="welcome-title">Welcome to OPAD</h2>
          <p>
            Turn any news article into reading practice at your level. Paste an article (or give its address, or just a topic), pick the language and
            your CEFR level, and press <strong>Generate</strong>. In a few seconds you get a shorter, simpler text with the harder words explained.
          </p>
        </section>
      ) : null}

      <div className="articles-layout">
        <CreateArticleForm key={actionData ? 'failed' : 'fresh'} values={actionData?.values} errors={actionData?.errors} />

        {firstVisit ? null : (
          <section className="card list-section" aria-labelledby="list-title">
            <h2 id="list-title">Your readings</h2>
            <Form method="get" className="filters" aria-label="Filter articles">
              <label>
                <span>Status</span>
                <select name="status" defaultValue={query.status ?? ''}>
                  <option value="">Any</option>
                  {ARTICLE_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_LABELS[s]}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <span>Language</span>
                <select name="language" defaultValue={query.language ?? ''}>
                  <option value="">Any</option>
                  {Object.entries(LANGUAGES).map(([code, name]) => (
                    <option key={code} value={code}>
                      {name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <span>Level</span>
                <select name="level" defaultValue={query.level ?? ''}>
                  <option value="">Any</option>
                  {LEVELS.map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" className="button secondary">
                Filter
              </button>
              {filtered ? (
                <Link to="/articles" className="small">
                  Clear filters
                </Link>
              ) : null}
            </Form>
            {list.items.length === 0 ? (
              <p className="muted">{filtered ? 'No articles match these filters.' : 'No more articles.'}</p>
            ) : (
              <ul className="article-list">
                {list.items.map((article) => (
                  <ArticleCard key={article.id} article={article} />
                ))}
              </ul>
            )}
            <nav className="pager" aria-label="More articles">
              {query.cursor ? <Link to={`/articles?${newestParams.toString()}`}>← Newest</Link> : <span />}
              {list.nextCursor ? (
                <Link to={`/articles?${olderParams.toString()}`} rel="next">
                  Older articles →
                </Link>
              ) : null}
            </nav>
          </section>
        )}
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorView error={useRouteError()} />;
}
