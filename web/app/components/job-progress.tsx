import { STAGES, STAGE_LABELS, type JobStatus, type Stage } from '@opad/core/domain';

const STATUS_TEXT: Readonly<Record<JobStatus, string>> = {
  queued: 'Waiting for a free writer…',
  running: 'Working…',
  succeeded: 'Done',
  failed: 'Stopped',
};

/** Percent bar with a screen-reader name and value, and the pipeline's stages as a checklist. */
export function JobProgress({ status, progress, stage }: { status: JobStatus; progress: number; stage: Stage | null }) {
  const stageIndex = stage ? STAGES.indexOf(stage) : -1;
  const label = stage ? STAGE_LABELS[stage] : STATUS_TEXT[status];
  const valueText = `${label}, ${progress}%`;
  return (
    <div className="job-progress">
      <div
        className="progress-bar"
        role="progressbar"
        aria-label="Progress of your text"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress}
        aria-valuetext={valueText}
      >
        <span className={`progress-fill status-${status}`} style={{ width: `${Math.max(progress, 2)}%` }} />
      </div>
      <p className="progress-text" aria-live="polite" data-testid="progress-text">
        <strong>{progress}%</strong> · {status === 'queued' && !stage ? STATUS_TEXT.queued : label}
      </p>
      <ol className="stages">
        {STAGES.map((s, i) => {
          const state = status === 'succeeded' || i < stageIndex ? 'done' : i === stageIndex ? (status === 'failed' ? 'failed' : 'current') : 'pending';
          return (
            <li key={s} className={`stage stage-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
              <span className="stage-mark" aria-hidden="true">
                {state === 'done' ? '✓' : state === 'failed' ? '✕' : state === 'current' ? '●' : '○'}
              </span>
              {STAGE_LABELS[s]}
              <span className="sr-only"> ({state === 'done' ? 'done' : state === 'current' ? 'in progress' : state === 'failed' ? 'failed' : 'to do'})</span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
